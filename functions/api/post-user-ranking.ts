import { getContainer } from '../../shared/composition.js';
import { parseUserRankingRequest } from '../../shared/domain/recommend/surface-request.js';
import { type HttpEvent, httpHandler, json, parseJsonBody } from '../../shared/http/http-handler.js';
import {
  armOverrideAllowed,
  listImpressions,
  reportServed,
  routeColumns,
} from '../../shared/http/list-route.js';
import { personalizedRanking } from '../../shared/use-cases/surfaces.js';

const container = getContainer();
const impressions = listImpressions(container);

/** POST /users/{userId}/ranking?slot=&arm=&metadata= {inputList: [itemId, ...]} (app key; GetPersonalizedRanking). */
export const handler = httpHandler(async (event: HttpEvent) => {
  const started = performance.now();
  const request = parseUserRankingRequest(
    event.pathParameters?.userId,
    event.queryStringParameters ?? {},
    parseJsonBody(event),
    await routeColumns(container),
    container.config.MAX_METADATA_COLUMNS,
  );
  const adminAuthorized = armOverrideAllowed(container, event, request.arm);
  const { response, served } = await personalizedRanking(container, request, { adminAuthorized });
  const record =
    request.arm === undefined ? { ...response, itemList: response.personalizedRanking } : undefined;
  reportServed(impressions, 'personalized-ranking', started, served, record);
  return json(200, response);
});
