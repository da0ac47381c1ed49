import { join, relative, sep } from 'node:path';
import ts from 'typescript';

/** One AWS SDK command a function's code can send, and the adapter class it is sent from (if any). */
export interface ReachedCommand {
  /** The SDK package, e.g. `@aws-sdk/lib-dynamodb`. */
  readonly pkg: string;
  /** The command class, e.g. `BatchWriteCommand`. */
  readonly command: string;
  /** The class in `shared/adapters/` on the call path, e.g. `DynamoEventStore`; its table decides the resource. */
  readonly adapter?: string;
}

/**
 * The IAM actions each SDK command needs, the one table the least-privilege check compares roles
 * against. A command missing here fails the check, so a new call cannot slip through unmapped.
 */
export const COMMAND_ACTIONS: ReadonlyMap<string, readonly string[]> = new Map([
  // lib-dynamodb's document commands wrap the low-level item commands
  ['@aws-sdk/lib-dynamodb#GetCommand', ['dynamodb:GetItem']],
  ['@aws-sdk/lib-dynamodb#PutCommand', ['dynamodb:PutItem']],
  ['@aws-sdk/lib-dynamodb#DeleteCommand', ['dynamodb:DeleteItem']],
  ['@aws-sdk/lib-dynamodb#UpdateCommand', ['dynamodb:UpdateItem']],
  ['@aws-sdk/lib-dynamodb#QueryCommand', ['dynamodb:Query']],
  ['@aws-sdk/lib-dynamodb#ScanCommand', ['dynamodb:Scan']],
  ['@aws-sdk/lib-dynamodb#BatchGetCommand', ['dynamodb:BatchGetItem']],
  ['@aws-sdk/lib-dynamodb#BatchWriteCommand', ['dynamodb:BatchWriteItem']],
  ['@aws-sdk/client-dynamodb#GetItemCommand', ['dynamodb:GetItem']],
  ['@aws-sdk/client-dynamodb#PutItemCommand', ['dynamodb:PutItem']],
  ['@aws-sdk/client-dynamodb#DeleteItemCommand', ['dynamodb:DeleteItem']],
  ['@aws-sdk/client-dynamodb#QueryCommand', ['dynamodb:Query']],
  ['@aws-sdk/client-dynamodb#ScanCommand', ['dynamodb:Scan']],
  ['@aws-sdk/client-dynamodb#BatchGetItemCommand', ['dynamodb:BatchGetItem']],
  ['@aws-sdk/client-dynamodb#BatchWriteItemCommand', ['dynamodb:BatchWriteItem']],
  ['@aws-sdk/client-dynamodb#CreateTableCommand', ['dynamodb:CreateTable']],
  ['@aws-sdk/client-dynamodb#DescribeTableCommand', ['dynamodb:DescribeTable']],
  // the artifact store reads a missing key as "absent" (NoSuchKey, 404), which S3 answers only to a
  // caller that may also list the bucket; without s3:ListBucket it is an AccessDenied 403
  ['@aws-sdk/client-s3#GetObjectCommand', ['s3:GetObject', 's3:ListBucket']],
  ['@aws-sdk/client-s3#HeadObjectCommand', ['s3:GetObject', 's3:ListBucket']],
  ['@aws-sdk/client-s3#PutObjectCommand', ['s3:PutObject']],
  ['@aws-sdk/client-s3#CopyObjectCommand', ['s3:GetObject', 's3:PutObject', 's3:ListBucket']],
  ['@aws-sdk/client-s3#ListObjectsV2Command', ['s3:ListBucket']],
  ['@aws-sdk/client-personalize-runtime#GetRecommendationsCommand', ['personalize:GetRecommendations']],
  [
    '@aws-sdk/client-personalize-runtime#GetPersonalizedRankingCommand',
    ['personalize:GetPersonalizedRanking'],
  ],
  ['@aws-sdk/client-personalize-events#PutEventsCommand', ['personalize:PutEvents']],
  ['@aws-sdk/client-personalize-events#PutUsersCommand', ['personalize:PutUsers']],
  ['@aws-sdk/client-personalize-events#PutItemsCommand', ['personalize:PutItems']],
  ['@aws-sdk/client-sfn#StartExecutionCommand', ['states:StartExecution']],
  ['@aws-sdk/client-sfn#DescribeExecutionCommand', ['states:DescribeExecution']],
  ['@aws-sdk/client-sfn#ListExecutionsCommand', ['states:ListExecutions']],
  ['@aws-sdk/client-sfn#GetExecutionHistoryCommand', ['states:GetExecutionHistory']],
  ['@aws-sdk/client-firehose#PutRecordBatchCommand', ['firehose:PutRecordBatch']],
  ['@aws-sdk/client-sfn#ListStateMachinesCommand', ['states:ListStateMachines']],
  ['@aws-sdk/client-ssm#GetParameterCommand', ['ssm:GetParameter']],
  ['@aws-sdk/client-ssm#GetParametersByPathCommand', ['ssm:GetParametersByPath']],
  ['@aws-sdk/client-secrets-manager#GetSecretValueCommand', ['secretsmanager:GetSecretValue']],
]);

/** The IAM actions of one reached command; throws naming the command when the table lacks it. */
export function actionsOf(c: ReachedCommand): readonly string[] {
  const actions = COMMAND_ACTIONS.get(`${c.pkg}#${c.command}`);
  if (!actions) throw new Error(`no IAM actions known for ${c.pkg} ${c.command}: add it to COMMAND_ACTIONS`);
  return actions;
}

/**
 * Which AWS SDK commands each entry module can send, found by walking the call graph with the
 * TypeScript checker from the module's top level: every call, `new` and function reference is
 * resolved to its declaration, whose body is walked in turn; a call through an interface (a port)
 * reaches the same-named member of every class implementing it. Closures are walked with their
 * enclosing function (conservative), and a module's top level runs once anything of it is reached.
 * Methods that are bundled but never called (a store's writes in a read-only function) are not
 * reached, which a bundle-text scan could not tell apart.
 */
export function reachableCommands(root: string, entries: readonly string[]): Map<string, ReachedCommand[]> {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(root, 'tsconfig.json'),
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
  );
  if (!config) throw new Error('tsconfig.json unreadable');
  const files = entries.map((e) => join(root, e));
  const program = ts.createProgram(files, config.options);
  const checker = program.getTypeChecker();
  const own = (sf: ts.SourceFile) => !sf.fileName.includes(`${sep}node_modules${sep}`);

  const classes: ts.ClassLikeDeclaration[] = [];
  for (const sf of program.getSourceFiles()) {
    if (!own(sf)) continue;
    const visit = (n: ts.Node) => {
      if (ts.isClassLike(n) && n.name) classes.push(n);
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }

  function resolve(sym: ts.Symbol | undefined): ts.Symbol | undefined {
    if (sym && sym.flags & ts.SymbolFlags.Alias) return checker.getAliasedSymbol(sym);
    return sym;
  }

  const sdkPackage = (d: ts.Node): string | undefined => {
    const m = /node_modules[\\/](@aws-sdk[\\/][^\\/]+)/.exec(d.getSourceFile().fileName);
    return m?.[1].replace('\\', '/');
  };

  /** Classes in `shared/adapters/` give the commands sent from their methods a table. */
  const adapterOf = (d: ts.Node): string | undefined => {
    const rel = relative(root, d.getSourceFile().fileName).split(sep).join('/');
    if (!rel.startsWith('shared/adapters/')) return undefined;
    let n: ts.Node | undefined = d;
    while (n && !ts.isClassLike(n)) n = n.parent;
    return n?.name?.text;
  };

  /**
   * The classes whose instances can stand behind a member of an interface or object type: each class
   * of ours that is assignable to the type and has a member of that name (ports are often typed
   * structurally, e.g. `{ putRecord(...) }`, so `implements` clauses are not enough).
   */
  const implementations = new Map<ts.Node, ts.ClassLikeDeclaration[]>();
  const implementing = (owner: ts.InterfaceDeclaration | ts.TypeLiteralNode) => {
    let list = implementations.get(owner);
    if (!list) {
      const type = checker.getTypeAtLocation(owner);
      list = classes.filter((c) => {
        const sym = checker.getSymbolAtLocation(c.name!);
        return sym !== undefined && checker.isTypeAssignableTo(checker.getDeclaredTypeOfSymbol(sym), type);
      });
      implementations.set(owner, list);
    }
    return list;
  };

  /** Declarations a symbol stands for, through interfaces and object types to the classes behind them. */
  const targets = (sym: ts.Symbol | undefined): ts.Node[] => {
    const s = resolve(sym);
    if (!s?.declarations) return [];
    const out: ts.Node[] = [];
    for (const d of s.declarations) {
      out.push(d);
      const owner = d.parent;
      // only a member that can be called runs code: `{ record?: unknown }` must not reach every `record()`
      const callable =
        ts.isMethodSignature(d) ||
        (ts.isPropertySignature(d) &&
          checker.getTypeAtLocation(d).getNonNullableType().getCallSignatures().length > 0);
      if (callable && (ts.isInterfaceDeclaration(owner) || ts.isTypeLiteralNode(owner))) {
        const name = d.name.getText();
        for (const cls of implementing(owner))
          for (const m of cls.members) if (m.name && m.name.getText() === name) out.push(m);
      }
    }
    return out;
  };

  /** What reaching a node leads to: the declarations it uses and the SDK commands it constructs (memoised). */
  interface Edges {
    readonly next: ts.Node[];
    readonly commands: { pkg: string; command: string }[];
  }
  const edgeCache = new Map<ts.Node, Edges>();
  const edges = (node: ts.Node): Edges => {
    const cached = edgeCache.get(node);
    if (cached) return cached;
    const out: Edges = { next: [], commands: [] };
    const add = (n: ts.Node) => {
      if (ts.isSourceFile(n) || own(n.getSourceFile())) out.next.push(n);
    };
    const top = ts.isSourceFile(node);
    const roots: ts.Node[] = [];
    if (ts.isClassLike(node)) {
      // constructing a class runs its constructor and field initialisers, not its methods; and a base
      // class's constructor (`implements` names a type only)
      for (const m of node.members)
        if (ts.isConstructorDeclaration(m) || ts.isPropertyDeclaration(m)) roots.push(m);
      for (const clause of node.heritageClauses ?? []) {
        if (clause.token !== ts.SyntaxKind.ExtendsKeyword) continue;
        for (const t of clause.types)
          for (const d of targets(checker.getSymbolAtLocation(t.expression))) add(d);
      }
    } else roots.push(node);
    if (!top) add(node.getSourceFile());
    const visit = (n: ts.Node) => {
      // a module's top level: function and class bodies run only when reached
      if (top && (ts.isFunctionDeclaration(n) || ts.isClassDeclaration(n))) return;
      // types carry no code
      if (ts.isInterfaceDeclaration(n) || ts.isTypeAliasDeclaration(n) || ts.isTypeNode(n)) return;
      if (ts.isImportDeclaration(n)) {
        const sf = checker.getSymbolAtLocation(n.moduleSpecifier)?.valueDeclaration;
        if (sf && ts.isSourceFile(sf) && !n.importClause?.isTypeOnly) add(sf);
        return;
      }
      if (ts.isNewExpression(n)) {
        const sym = resolve(checker.getSymbolAtLocation(n.expression));
        const d = sym?.declarations?.[0];
        const pkg = d && sdkPackage(d);
        if (sym && pkg && sym.name.endsWith('Command') && ts.isClassLike(d))
          out.commands.push({ pkg, command: sym.name });
      }
      if (ts.isCallExpression(n) || ts.isNewExpression(n)) {
        const decl = checker.getResolvedSignature(n)?.declaration;
        if (decl && !ts.isJSDocSignature(decl)) {
          add(decl);
          if (decl.name) for (const t of targets(checker.getSymbolAtLocation(decl.name))) add(t);
        }
        // `await import('./x.js')`: the module's top level runs
        if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword) {
          const arg = n.arguments[0];
          const sf =
            arg && ts.isStringLiteral(arg) ? checker.getSymbolAtLocation(arg)?.valueDeclaration : undefined;
          if (sf && ts.isSourceFile(sf)) add(sf);
        }
      }
      // a declaration's own name is not a use (a property access's name is, handled with the access)
      const isName =
        (n.parent as { name?: ts.Node } | undefined)?.name === n && !ts.isPropertyAccessExpression(n.parent);
      if (
        !isName &&
        (ts.isIdentifier(n) || ts.isPropertyAccessExpression(n) || ts.isElementAccessExpression(n))
      ) {
        const at = ts.isElementAccessExpression(n) ? n.argumentExpression : n;
        for (const t of targets(checker.getSymbolAtLocation(at))) add(t);
      }
      ts.forEachChild(n, visit);
    };
    for (const r of roots) ts.forEachChild(r, visit);
    edgeCache.set(node, out);
    return out;
  };

  const skip = (n: ts.Node) =>
    ts.isInterfaceDeclaration(n) ||
    ts.isTypeAliasDeclaration(n) ||
    ts.isMethodSignature(n) ||
    ts.isPropertySignature(n);

  const result = new Map<string, ReachedCommand[]>();
  for (const entry of entries) {
    const entrySf = program.getSourceFile(join(root, entry));
    if (!entrySf) throw new Error(`${entry} is not part of the program`);
    const found = new Map<string, ReachedCommand>();
    const seen = new Map<ts.Node, Set<string>>();
    const work: { node: ts.Node; adapter?: string }[] = [{ node: entrySf }];
    while (work.length > 0) {
      const { node, adapter } = work.pop()!;
      const e = edges(node);
      for (const c of e.commands) found.set(`${c.pkg}#${c.command}#${adapter ?? ''}`, { ...c, adapter });
      for (const n of e.next) {
        if (skip(n)) continue;
        // a module's top level has no caller context; an adapter class's members are their own context
        const ctx = ts.isSourceFile(n) ? undefined : (adapterOf(n) ?? adapter);
        const key = ctx ?? '';
        const s = seen.get(n) ?? new Set<string>();
        if (s.has(key)) continue;
        s.add(key);
        seen.set(n, s);
        work.push({ node: n, adapter: ctx });
      }
    }
    result.set(entry, [...found.values()]);
  }
  return result;
}

/**
 * Which adapter class is constructed with which `TABLE_*` configuration variable, read from the
 * composition modules' `new Dynamo…Store(doc, { tableName: cfg.TABLE_X })` calls.
 */
export function adapterTables(root: string, modules: readonly string[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const m of modules) {
    const text = ts.sys.readFile(join(root, m)) ?? '';
    const sf = ts.createSourceFile(m, text, ts.ScriptTarget.ES2022, true);
    const visit = (n: ts.Node) => {
      if (ts.isNewExpression(n) && ts.isIdentifier(n.expression)) {
        for (const arg of n.arguments ?? []) {
          if (!ts.isObjectLiteralExpression(arg)) continue;
          for (const p of arg.properties) {
            if (!ts.isPropertyAssignment(p) || p.name.getText() !== 'tableName') continue;
            const env = /\bTABLE_[A-Z_]+$/.exec(p.initializer.getText())?.[0];
            if (!env) continue;
            const set = out.get(n.expression.text) ?? new Set<string>();
            set.add(env);
            out.set(n.expression.text, set);
          }
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return out;
}
