import { getContainer } from '../../shared/composition.js';
import { parseRankingRequest } from '../../shared/domain/recommend/surface-request.js';
import { RANKING_KINDS } from '../../shared/domain/surfaces/item-surfaces.js';
import { type HttpEvent, httpHandler, json } from '../../shared/http/http-handler.js';
import {
  armOverrideAllowed,
  listImpressions,
  reportServed,
  routeColumns,
} from '../../shared/http/list-route.js';
import { ranking } from '../../shared/use-cases/surfaces.js';

const container = getContainer();
const impressions = listImpressions(container);

/** GET /rankings/{kind}?category=|<ITEM_COLUMN>=&numResults=&userId=&slot=&exclude=&arm=&metadata= (app key). */
export const handler = httpHandler(async (event: HttpEvent) => {
  const started = performance.now();
  const request = parseRankingRequest(
    event.pathParameters?.kind,
    event.queryStringParameters ?? {},
    container.config.DEFAULT_NUM_RESULTS,
    await routeColumns(container),
    container.config.MAX_METADATA_COLUMNS,
    RANKING_KINDS,
  );
  const adminAuthorized = armOverrideAllowed(container, event, request.arm);
  const { response, served } = await ranking(container, request, { adminAuthorized });
  const record =
    response.userId !== undefined && request.arm === undefined
      ? { ...response, userId: response.userId, slot: response.slot }
      : undefined;
  reportServed(impressions, `ranking:${response.kind}`, started, served, record);
  return json(200, response);
});
