import { z } from "zod";

// Placeholder until the platform components define their settings; unknown
// keys are refused so a typo never passes silently.
export const servicesSchema = z.strictObject({}).default({});
export type ServicesSpec = z.output<typeof servicesSchema>;
