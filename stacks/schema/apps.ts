import { z } from "zod";

// Placeholder until the apps component defines its settings.
export const appsSchema = z.array(z.never()).default([]);
export type AppsSpec = z.output<typeof appsSchema>;
