import { monitoringPlanner } from "./monitoring";
import { nvidiaDevicePluginPlanner } from "./nvidiaDevicePlugin";
import { ollamaPlanner } from "./ollama";
import { postgresPlanner } from "./postgres";
import { rocketchatPlanner } from "./rocketchat";
import type { ServicePlanner } from "./service";
import { storagePlanner } from "./storage";

/**
 * Every built-in service, in creation order (a service may use what an
 * earlier one returned: Rocket.Chat waits for monitoring's CRDs; storage
 * comes first, as every later volume uses its class). The plan loops over
 * this list; the Platform creates each planned service by its key.
 */
export const SERVICE_PLANNERS: readonly ServicePlanner[] = [storagePlanner, nvidiaDevicePluginPlanner, ollamaPlanner, monitoringPlanner, postgresPlanner, rocketchatPlanner] as unknown as ServicePlanner[];
