import { getContainer } from '../../shared/composition.js';
import { parseUserRankingRequest } from '../../shared/domain/recommend/surface-request.js';
import { parseJsonBody } from '../../shared/http/http-handler.js';
import { listRouteHandler } from '../../shared/http/list-route.js';
import { personalizedRanking } from '../../shared/use-cases/surfaces.js';

const container = getContainer();

/** POST /users/{userId}/ranking?slot=&arm=&metadata= {inputList: [itemId, ...]} (app key; GetPersonalizedRanking). */
export const handler = listRouteHandler(container, {
  parse: (event, columns) =>
    parseUserRankingRequest(
      event.pathParameters?.userId,
      event.queryStringParameters ?? {},
      parseJsonBody(event),
      columns,
      container.config.MAX_METADATA_COLUMNS,
    ),
  serve: (request, options) => personalizedRanking(container, request, options),
  surface: () => 'personalized-ranking',
  record: (response) => ({ ...response, itemList: response.personalizedRanking }),
});
