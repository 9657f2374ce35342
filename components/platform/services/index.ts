import { longhornService } from "./longhorn";
import { monitoringService } from "./monitoring";
import { nvidiaDevicePluginService } from "./nvidiaDevicePlugin";
import { ollamaService } from "./ollama";
import { postgresService } from "./postgres";
import { rocketchatService } from "./rocketchat";
import type { BuiltinServiceKey, ServiceDescriptor } from "./service";

/**
 * Every built-in service's component, by config key. The plan decides which
 * are on and in which order (plan/services/index.ts); the Platform creates
 * each through its descriptor here, and `npm run deploy` finds each by its
 * type token.
 */
export const SERVICES: readonly ServiceDescriptor[] = [longhornService, nvidiaDevicePluginService, ollamaService, monitoringService, postgresService, rocketchatService] as unknown as ServiceDescriptor[];

/** The descriptor of a built-in service: every planned key has one (the descriptors test holds it). */
export function serviceDescriptor(key: BuiltinServiceKey): ServiceDescriptor {
    const found = SERVICES.find((d) => d.key === key);
    if (!found) throw new Error(`invariant: no component for the planned service ${key}`);
    return found;
}
