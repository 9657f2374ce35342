import { describe, expect, it } from "vitest";
import { satisfies } from "../../../config/semver";

describe("chart dependency constraints", () => {
    it("match wildcard and partial versions the way Helm does", () => {
        expect(satisfies("13.18.5", "13.x.x")).toBe(true);
        expect(satisfies("14.0.0", "13.x.x")).toBe(false);
        expect(satisfies("0.12.8", "0.12.*")).toBe(true);
        expect(satisfies("0.13.0", "0.12.*")).toBe(false);
        expect(satisfies("0.0.5", "0.0")).toBe(true);
        expect(satisfies("0.1.0", "0.0")).toBe(false);
    });

    it("match exact versions, ranges, carets and tildes", () => {
        expect(satisfies("8.4.0", "8.4.0")).toBe(true);
        expect(satisfies("8.4.1", "8.4.0")).toBe(false);
        expect(satisfies("2.31.3", ">=2.0.0, <3.0.0")).toBe(true);
        expect(satisfies("3.0.0", ">=2.0.0 <3.0.0")).toBe(false);
        expect(satisfies("2.9.0", "^2.1.0")).toBe(true);
        expect(satisfies("0.3.0", "^0.2.3")).toBe(false);
        expect(satisfies("1.2.9", "~1.2.3")).toBe(true);
        expect(satisfies("1.3.0", "~1.2.3")).toBe(false);
        expect(satisfies("1.0.0", "<1.0.0 || >=2.0.0")).toBe(false);
    });

    it("keep pre-releases out unless named exactly", () => {
        expect(satisfies("2.0.0-rc.1", "2.x.x")).toBe(false);
        expect(satisfies("2.0.0-rc.1", "2.0.0-rc.1")).toBe(true);
    });
});
