import { describe, expect, it } from "vitest";
import { crossNodeProblems, parsePreflightReport, PreflightError } from "../../../components/cluster/install/preflightReport";

const report = (hostname: string, machineId: string) =>
    parsePreflightReport(`check arch ok aarch64\ncheck swap problem swap is on\nfact hostname ${hostname}\nfact machine-id ${machineId}\n`);

describe("pre-flight reports", () => {
    it("parses checks, facts and a scheduled reboot", () => {
        const r = parsePreflightReport("check swap fixed turned swap off\nfact boot-id abc\nreboot scheduled\nnoise\n");
        expect(r.checks).toEqual([{ name: "swap", status: "fixed", detail: "turned swap off" }]);
        expect(r.facts["boot-id"]).toBe("abc");
        expect(r.rebootScheduled).toBe(true);
    });

    it("finds cloned SD cards: shared machine-id and hostname, naming every node", () => {
        const problems = crossNodeProblems({ "pi-1": report("raspberrypi", "aaa"), "pi-2": report("raspberrypi", "aaa"), "pi-3": report("pi-3", "ccc") });
        expect(problems).toHaveLength(2);
        expect(problems[0]).toContain("nodes pi-1, pi-2 share hostname 'raspberrypi'");
        expect(problems[1]).toContain("share machine-id 'aaa'");
        expect(problems[1]).toContain("systemd-machine-id-setup");
    });

    it("finds nothing when every node is unique", () => {
        expect(crossNodeProblems({ a: report("a", "1"), b: report("b", "2") })).toEqual([]);
    });

    it("tells how to re-run the checks after a fix", () => {
        const e = new PreflightError(["x"], ["urn:a", "urn:b"]);
        expect(e.message).toContain("pulumi up --replace 'urn:a' --replace 'urn:b'");
        expect(e.message).toContain("nothing was installed");
    });
});
