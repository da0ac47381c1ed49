import { getContainer } from '../../shared/composition.js';
import { parseRankingRequest } from '../../shared/domain/recommend/surface-request.js';
import { RANKING_KINDS } from '../../shared/domain/surfaces/item-surfaces.js';
import { listRouteHandler, recordWithUser } from '../../shared/http/list-route.js';
import { ranking } from '../../shared/use-cases/surfaces.js';

const container = getContainer();
const { DEFAULT_NUM_RESULTS, MAX_METADATA_COLUMNS } = container.config;

/** GET /rankings/{kind}?category=|<ITEM_COLUMN>=&numResults=&userId=&slot=&exclude=&arm=&metadata= (app key). */
export const handler = listRouteHandler(container, {
  parse: (event, columns) =>
    parseRankingRequest(
      event.pathParameters?.kind,
      event.queryStringParameters ?? {},
      DEFAULT_NUM_RESULTS,
      columns,
      MAX_METADATA_COLUMNS,
      RANKING_KINDS,
    ),
  serve: (request, options) => ranking(container, request, options),
  surface: (response) => `ranking:${response.kind}`,
  record: recordWithUser,
});
