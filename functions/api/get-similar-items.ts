import { getContainer } from '../../shared/composition.js';
import { listRouteHandler, parseItemRoute, recordWithUser } from '../../shared/http/list-route.js';
import { similarItems } from '../../shared/use-cases/surfaces.js';

const container = getContainer();

/** GET /items/{itemId}/similar?numResults=&userId=&slot=&exclude=&arm=&metadata= (app key). */
export const handler = listRouteHandler(container, {
  parse: parseItemRoute(container),
  serve: (request, options) => similarItems(container, request, options),
  surface: () => 'similar',
  record: recordWithUser,
});
