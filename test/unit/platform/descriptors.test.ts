import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { SERVICES } from "../../../components/platform/services";
import { SERVICE_PLANNERS } from "../../../plan/services";
import { servicesSchema } from "../../../config/schema/services";

describe("built-in service descriptors", () => {
    it("cover every service key of the schema, once each", () => {
        const keys = SERVICES.map((d) => d.key).sort();
        expect(keys).toEqual(["monitoring", "nvidiaDevicePlugin", "ollama", "postgres", "rocketchat", "storage"]);
        const schemaKeys = Object.keys(servicesSchema.parse({})).filter((k) => typeof (servicesSchema.parse({}) as Record<string, unknown>)[k] === "object" && !Array.isArray((servicesSchema.parse({}) as Record<string, unknown>)[k]) && k !== "catalog");
        expect(schemaKeys.sort()).toEqual(keys);
    });

    it("pair every planner with the component of the same key, in the same creation order", () => {
        expect(SERVICE_PLANNERS.map((p) => p.key)).toEqual(SERVICES.map((d) => d.key));
    });

    it("appear in the docs table with their namespaces and Pod Security levels", () => {
        const doc = fs.readFileSync(path.join(__dirname, "..", "..", "..", "docs", "services.md"), "utf8");
        for (const d of SERVICE_PLANNERS) for (const ns of d.namespaces) expect(doc).toContain(`\`${ns.name}\` (${ns.podSecurity})`);
    });
});
