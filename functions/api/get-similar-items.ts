import { getContainer } from '../../shared/composition.js';
import { parseItemListRequest } from '../../shared/domain/recommend/surface-request.js';
import { listRouteHandler, recordWithUser } from '../../shared/http/list-route.js';
import { similarItems } from '../../shared/use-cases/surfaces.js';

const container = getContainer();
const { DEFAULT_NUM_RESULTS, MAX_METADATA_COLUMNS } = container.config;

/** GET /items/{itemId}/similar?numResults=&userId=&slot=&exclude=&arm=&metadata= (app key). */
export const handler = listRouteHandler(container, {
  parse: (event, columns) =>
    parseItemListRequest(
      event.pathParameters?.itemId,
      event.queryStringParameters ?? {},
      DEFAULT_NUM_RESULTS,
      columns,
      MAX_METADATA_COLUMNS,
    ),
  serve: (request, options) => similarItems(container, request, options),
  surface: () => 'similar',
  record: recordWithUser,
});
