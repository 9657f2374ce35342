// Run by mongod.sh in mongosh, connected to the local mongod. Idempotent:
// - the replica set is initiated once, with this pod as its only member;
// - the root user is created once, through the localhost exception (allowed
//   only while the database has no user at all), then used to log in;
// - the application and metrics users are created, or their passwords and
//   roles set to the Secret's, on every start.
// Every value comes from the environment; passwords never reach argv or output.

function need(name) {
    const value = process.env[name];
    if (!value) throw new Error(`init.js: ${name} is not set`);
    return value;
}

function waitFor(what, test, seconds) {
    const deadline = Date.now() + seconds * 1000;
    while (!test()) {
        if (Date.now() > deadline) throw new Error(`init.js: ${what} within ${seconds}s`);
        sleep(500);
    }
}

const setName = need("REPLICA_SET");
const member = need("MEMBER_HOST");

if (!db.hello().setName) {
    print(`init.js: initiating replica set ${setName} with member ${member}`);
    // The pod's DNS name resolves only once its endpoint is published: retry until it maps to this node.
    waitFor(`${member} did not resolve to this node`, () => {
        try {
            rs.initiate({ _id: setName, members: [{ _id: 0, host: member }] });
            return true;
        } catch (e) {
            if (e.codeName === "NodeNotFound" || e.code === 74) return false;
            if (e.codeName === "AlreadyInitialized" || e.code === 23) return true;
            throw e;
        }
    }, 120);
}
waitFor("this member did not become primary", () => db.hello().isWritablePrimary === true, 120);

const admin = db.getSiblingDB("admin");
const rootUser = need("ROOT_USER");
const rootPassword = need("ROOT_PASSWORD");
function logIn() {
    try {
        return admin.auth(rootUser, rootPassword).ok === 1;
    } catch (e) {
        return false;
    }
}
if (!logIn()) {
    try {
        admin.createUser({ user: rootUser, pwd: rootPassword, roles: [{ role: "root", db: "admin" }] });
        print(`init.js: created ${rootUser}@admin`);
    } catch (e) {
        throw new Error(
            `init.js: cannot log in as ${rootUser}@admin and cannot create it (${e.codeName || e.message}): the database has users and the root password in the Secret is not theirs; put the old password back in the Secret`,
        );
    }
    if (!logIn()) throw new Error(`init.js: created ${rootUser}@admin but cannot log in as it`);
}

function ensureUser(dbName, user, password, roles) {
    const target = db.getSiblingDB(dbName);
    if (target.getUser(user)) {
        target.updateUser(user, { pwd: password, roles });
        print(`init.js: updated ${user}@${dbName}`);
    } else {
        target.createUser({ user, pwd: password, roles });
        print(`init.js: created ${user}@${dbName}`);
    }
}

const appDb = need("APP_DB");
ensureUser(appDb, need("APP_USER"), need("APP_PASSWORD"), [{ role: "readWrite", db: appDb }]);
ensureUser("admin", need("METRICS_USER"), need("METRICS_PASSWORD"), [
    { role: "clusterMonitor", db: "admin" },
    { role: "read", db: "local" },
]);
print(`init.js: replica set ${setName} and its users are ready`);
