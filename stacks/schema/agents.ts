import { z } from "zod";

// Placeholders until the agent components define their settings.
export const agentHostSchema = z.strictObject({ enabled: z.boolean().default(false) }).default({ enabled: false });
export const workerAgentsSchema = z.strictObject({ enabled: z.boolean().default(false) }).default({ enabled: false });
export type AgentHostSpec = z.output<typeof agentHostSchema>;
export type WorkerAgentsSpec = z.output<typeof workerAgentsSchema>;
