import { getContainer } from '../../shared/composition.js';
import { parseItemListRequest } from '../../shared/domain/recommend/surface-request.js';
import { type HttpEvent, httpHandler, json } from '../../shared/http/http-handler.js';
import {
  armOverrideAllowed,
  listImpressions,
  reportServed,
  routeColumns,
} from '../../shared/http/list-route.js';
import { boughtTogether } from '../../shared/use-cases/surfaces.js';

const container = getContainer();
const impressions = listImpressions(container);

/** GET /items/{itemId}/bought-together?numResults=&userId=&slot=&exclude=&arm=&metadata= (app key). */
export const handler = httpHandler(async (event: HttpEvent) => {
  const started = performance.now();
  const request = parseItemListRequest(
    event.pathParameters?.itemId,
    event.queryStringParameters ?? {},
    container.config.DEFAULT_NUM_RESULTS,
    await routeColumns(container),
    container.config.MAX_METADATA_COLUMNS,
  );
  const adminAuthorized = armOverrideAllowed(container, event, request.arm);
  const { response, served } = await boughtTogether(container, request, { adminAuthorized });
  const record =
    response.userId !== undefined && request.arm === undefined
      ? { ...response, userId: response.userId }
      : undefined;
  reportServed(impressions, 'bought-together', started, served, record);
  return json(200, response);
});
