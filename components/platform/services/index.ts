import { longhornService } from "./longhorn";
import { monitoringService } from "./monitoring";
import { nvidiaDevicePluginService } from "./nvidiaDevicePlugin";
import { ollamaService } from "./ollama";
import { postgresService } from "./postgres";
import { rocketchatService } from "./rocketchat";
import type { ServiceDescriptor } from "./service";

/**
 * Every built-in service, in creation order (a service may use what an
 * earlier one returned: Rocket.Chat waits for monitoring's CRDs; storage
 * comes first, as every later volume uses its class). The plan,
 * the Platform, `npm run deploy` and the docs table loop over this list.
 */
export const SERVICES: readonly ServiceDescriptor[] = [longhornService, nvidiaDevicePluginService, ollamaService, monitoringService, postgresService, rocketchatService] as unknown as ServiceDescriptor[];
