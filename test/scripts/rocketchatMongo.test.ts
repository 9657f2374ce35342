import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as vm from "vm";
import { describe, expect, it } from "vitest";
import { FIXTURES } from "./sandbox";

const DIR = path.join(__dirname, "..", "..", "components", "platform", "services", "mongodb");

/* ---------- mongod.sh, with stub mongod and mongosh ---------- */

interface Run {
    status: number | null;
    stderr: string;
    stdout: string;
    calls: string[];
    ready: boolean;
}

/** Runs mongod.sh for real; `whenReady` runs once the ready marker appears (e.g. to send SIGTERM). */
function runMongodSh(env: Record<string, string>, whenReady?: (pid: number) => void): Promise<Run> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "picluster-mongo-"));
    const log = path.join(dir, "calls.log");
    const ready = path.join(dir, "ready");
    fs.writeFileSync(log, "");
    const child = spawn("bash", [path.join(DIR, "mongod.sh")], {
        env: {
            PATH: `${path.join(FIXTURES, "bin")}:/usr/bin:/bin`,
            STUB_LOG: log,
            STUB_STATE: dir,
            REPLICA_SET: "rs0",
            KEY_FILE: "/keyfile/keyfile",
            DB_PATH: "/data/db",
            CACHE_GB: "0.5",
            READY_MARKER: ready,
            INIT_JS: "/scripts/init.js",
            APP_USER: "rocketchat",
            POLL_INTERVAL: "0.05",
            ...env,
        },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const poll = setInterval(() => {
        if (whenReady && fs.existsSync(ready)) {
            clearInterval(poll);
            whenReady(child.pid!);
        }
    }, 20);
    const kill = setTimeout(() => child.kill("SIGKILL"), 20_000);
    return new Promise((resolve) =>
        child.on("exit", (status) => {
            clearInterval(poll);
            clearTimeout(kill);
            resolve({ status, stdout, stderr, calls: fs.readFileSync(log, "utf8").split("\n").filter(Boolean), ready: fs.existsSync(ready) });
        }),
    );
}

describe("mongod.sh", () => {
    it("starts mongod as a one-member replica set with the key file and cache size, runs init.js, then reports ready", async () => {
        const r = await runMongodSh({}, (pid) => process.kill(pid, "SIGTERM"));
        expect(r.calls[0]).toBe("mongod --replSet rs0 --bind_ip_all --port 27017 --dbpath /data/db --keyFile /keyfile/keyfile --wiredTigerCacheSizeGB 0.5");
        expect(r.calls).toContain("mongosh --file /scripts/init.js APP_USER=rocketchat");
        expect(r.stdout).toContain("replica set rs0 ready");
    });

    it("passes SIGTERM on to mongod and exits with its status once it has shut down", async () => {
        const r = await runMongodSh({}, (pid) => process.kill(pid, "SIGTERM"));
        expect(r.calls.at(-1)).toBe("mongod got SIGTERM");
        expect(r.status).toBe(0);
    });

    it("stops mongod and fails, never ready, when init.js cannot bring the set and users about", async () => {
        const r = await runMongodSh({ STUB_INIT_STATUS: "1" });
        expect(r.status).toBe(1);
        expect(r.ready).toBe(false);
        expect(r.stderr).toContain("init.js: cannot log in as root@admin");
        expect(r.stderr).toContain("mongod.sh: init.js could not bring the replica set and its users to the Secret's state (its error is above); stopping mongod");
        expect(r.calls).toContain("mongod got SIGTERM");
    });

    it("gives up on a mongod that never answers within START_TIMEOUT, naming the port", async () => {
        const r = await runMongodSh({ STUB_MONGOD_DELAY: "30", START_TIMEOUT: "1" });
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("mongod.sh: mongod did not answer on port 27017 within 1s; stopping mongod");
        expect(r.calls).not.toContain("mongosh --file /scripts/init.js APP_USER=rocketchat");
    });

    it("exits with mongod's status when mongod dies", async () => {
        const r = await runMongodSh({ STUB_MONGOD_CRASH: "3" });
        expect(r.status).toBe(3);
    });
});

/* ---------- init.js, in a VM against a fake mongod ---------- */

interface User {
    pwd: string;
    roles: unknown[];
}

/** What init.js sees of a local mongod: replica-set state, users, the localhost exception, authentication. */
class FakeMongod {
    setName?: string;
    members: unknown[] = [];
    users = new Map<string, User>();
    authed = false;
    unresolvedFor = 0;
    calls: string[] = [];

    private guard(what: string) {
        if (!this.authed && this.users.size > 0) throw Object.assign(new Error(`command ${what} requires authentication`), { codeName: "Unauthorized", code: 13 });
    }

    sibling(db: string) {
        return {
            auth: (user: string, pwd: string) => {
                this.calls.push(`auth ${user}@${db}`);
                if (this.users.get(`${db}.${user}`)?.pwd !== pwd) throw Object.assign(new Error("Authentication failed."), { codeName: "AuthenticationFailed", code: 18 });
                this.authed = true;
                return { ok: 1 };
            },
            createUser: (u: { user: string; pwd: string; roles: unknown[] }) => {
                this.guard("createUser");
                if (!this.setName) throw new Error("not primary");
                this.calls.push(`createUser ${u.user}@${db} ${JSON.stringify(u.roles)}`);
                this.users.set(`${db}.${u.user}`, { pwd: u.pwd, roles: u.roles });
            },
            getUser: (user: string) => {
                this.guard("usersInfo");
                return this.users.get(`${db}.${user}`) ?? null;
            },
            updateUser: (user: string, u: User) => {
                this.guard("updateUser");
                this.calls.push(`updateUser ${user}@${db} ${JSON.stringify(u.roles)}`);
                this.users.set(`${db}.${user}`, u);
            },
        };
    }

    /** Runs init.js with these environment variables; returns what it printed. */
    run(env: Record<string, string>): string[] {
        const printed: string[] = [];
        this.authed = false;
        const context = {
            process: { env },
            print: (s: string) => printed.push(s),
            sleep: () => undefined,
            db: { hello: () => ({ setName: this.setName, isWritablePrimary: this.setName !== undefined }), getSiblingDB: (name: string) => this.sibling(name) },
            rs: {
                initiate: (cfg: { _id: string; members: unknown[] }) => {
                    if (this.unresolvedFor-- > 0) throw Object.assign(new Error("No host described in new configuration with {version: 1, term: 0} for replica set rs0 maps to this node"), { codeName: "NodeNotFound", code: 74 });
                    this.calls.push(`initiate ${JSON.stringify(cfg)}`);
                    this.setName = cfg._id;
                    this.members = cfg.members;
                },
            },
        };
        vm.runInNewContext(fs.readFileSync(path.join(DIR, "init.js"), "utf8"), context);
        return printed;
    }
}

const ENV = {
    REPLICA_SET: "rs0",
    MEMBER_HOST: "rocketchat-mongo-0.rocketchat-mongo.rocketchat.svc.cluster.local:27017",
    ROOT_USER: "root",
    ROOT_PASSWORD: "root-secret-1",
    APP_DB: "rocketchat",
    APP_USER: "rocketchat",
    APP_PASSWORD: "app-secret-2",
    METRICS_USER: "metrics",
    METRICS_PASSWORD: "metrics-secret-3",
};

describe("init.js", () => {
    it("on a fresh data directory initiates the set with this pod, creates root through the localhost exception, then the app and metrics users", () => {
        const m = new FakeMongod();
        const printed = m.run(ENV);
        expect(m.calls).toEqual([
            `initiate {"_id":"rs0","members":[{"_id":0,"host":"${ENV.MEMBER_HOST}"}]}`,
            "auth root@admin",
            'createUser root@admin [{"role":"root","db":"admin"}]',
            "auth root@admin",
            'createUser rocketchat@rocketchat [{"role":"readWrite","db":"rocketchat"}]',
            'createUser metrics@admin [{"role":"clusterMonitor","db":"admin"},{"role":"read","db":"local"}]',
        ]);
        expect(printed.at(-1)).toBe("init.js: replica set rs0 and its users are ready");
        for (const secret of [ENV.ROOT_PASSWORD, ENV.APP_PASSWORD, ENV.METRICS_PASSWORD]) expect(printed.join("\n")).not.toContain(secret);
    });

    it("on every later start leaves the set alone, logs in as root and sets the users' passwords to the Secret's", () => {
        const m = new FakeMongod();
        m.run(ENV);
        m.calls = [];
        m.run({ ...ENV, APP_PASSWORD: "rotated-4" });
        expect(m.calls).toEqual(["auth root@admin", 'updateUser rocketchat@rocketchat [{"role":"readWrite","db":"rocketchat"}]', 'updateUser metrics@admin [{"role":"clusterMonitor","db":"admin"},{"role":"read","db":"local"}]']);
        expect(m.users.get("rocketchat.rocketchat")?.pwd).toBe("rotated-4");
    });

    it("retries the initiation until the pod's DNS name maps to this node", () => {
        const m = new FakeMongod();
        m.unresolvedFor = 3;
        m.run(ENV);
        expect(m.setName).toBe("rs0");
    });

    it("fails, naming the cause and the fix, when the Secret's root password is not the database's", () => {
        const m = new FakeMongod();
        m.run(ENV);
        expect(() => m.run({ ...ENV, ROOT_PASSWORD: "another" })).toThrow(/init\.js: cannot log in as root@admin and cannot create it \(Unauthorized\): the database has users and the root password in the Secret is not theirs; put the old password back in the Secret/);
    });

    it("names a missing parameter", () => {
        const { APP_PASSWORD: _dropped, ...rest } = ENV;
        const m = new FakeMongod();
        expect(() => m.run(rest)).toThrow("init.js: APP_PASSWORD is not set");
    });
});
