/** The one SDK client of the app: it talks to the server that served the page. */
import { SlipwayClient } from '@slipway/sdk';

/** The SDK client every page uses. */
export const client = new SlipwayClient({ url: window.location.origin });
