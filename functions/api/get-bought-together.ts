import { getContainer } from '../../shared/composition.js';
import { listRouteHandler, parseItemRoute, recordWithUser } from '../../shared/http/list-route.js';
import { boughtTogether } from '../../shared/use-cases/surfaces.js';

const container = getContainer();

/** GET /items/{itemId}/bought-together?numResults=&userId=&slot=&exclude=&arm=&metadata= (app key). */
export const handler = listRouteHandler(container, {
  parse: parseItemRoute(container),
  serve: (request, options) => boughtTogether(container, request, options),
  surface: () => 'bought-together',
  record: recordWithUser,
});
