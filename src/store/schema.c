/*
 * schema.c - the database schema as a list of forward migrations. The
 * database's PRAGMA user_version says how many have run; store_open runs
 * the rest, in its transaction, so a database is never half migrated. A
 * database newer than this program is refused rather than guessed at.
 *
 * To change the schema, append a migration; never edit one that has
 * shipped.
 */
#include "store_int.h"

#include <stdio.h>

static const char *const migrations[] = {
    /* 1: the first schema */
    "CREATE TABLE users ("
    "  id INTEGER PRIMARY KEY,"
    "  email TEXT NOT NULL UNIQUE COLLATE NOCASE,"
    "  pwhash TEXT NOT NULL,"
    "  display_name TEXT NOT NULL,"
    "  created_at TEXT NOT NULL);"
    "CREATE TABLE sessions ("
    "  token_hash TEXT PRIMARY KEY,"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  csrf TEXT NOT NULL,"
    "  created_at TEXT NOT NULL,"
    "  expires INTEGER NOT NULL);"
    "CREATE INDEX sessions_user ON sessions(user_id);"
    "CREATE TABLE workspaces ("
    "  id INTEGER PRIMARY KEY,"
    "  slug TEXT NOT NULL UNIQUE,"
    "  name TEXT NOT NULL,"
    "  description TEXT NOT NULL DEFAULT '',"
    "  locked INTEGER NOT NULL DEFAULT 0,"
    "  created_at TEXT NOT NULL);"
    "CREATE TABLE memberships ("
    "  ws_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  role INTEGER NOT NULL CHECK (role BETWEEN 1 AND 4),"
    "  display_name TEXT NOT NULL,"
    "  digest TEXT NOT NULL DEFAULT 'none'"
    "    CHECK (digest IN ('none', 'meeting', 'daily', 'weekly')),"
    "  feed_token TEXT NOT NULL UNIQUE,"
    "  joined_at TEXT NOT NULL,"
    "  PRIMARY KEY (ws_id, user_id));"
    "CREATE INDEX memberships_user ON memberships(user_id);"
    "CREATE TABLE invites ("
    "  token_hash TEXT PRIMARY KEY,"
    "  ws_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,"
    "  role INTEGER NOT NULL CHECK (role BETWEEN 1 AND 3),"
    "  created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,"
    "  created_at TEXT NOT NULL,"
    "  expires INTEGER NOT NULL);"
    "CREATE TABLE themes ("
    "  id INTEGER PRIMARY KEY,"
    "  ws_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,"
    "  name TEXT NOT NULL,"
    "  color TEXT NOT NULL,"
    "  created_at TEXT NOT NULL);"
    "CREATE INDEX themes_ws ON themes(ws_id);"
    "CREATE TABLE items ("
    "  id INTEGER PRIMARY KEY,"
    "  ws_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,"
    "  title TEXT NOT NULL,"
    "  body TEXT NOT NULL DEFAULT '',"
    "  theme_id INTEGER REFERENCES themes(id) ON DELETE SET NULL,"
    "  status TEXT NOT NULL DEFAULT 'open'"
    "    CHECK (status IN ('open', 'merged', 'deleted')),"
    "  merged_into INTEGER REFERENCES items(id) ON DELETE SET NULL,"
    "  hidden INTEGER NOT NULL DEFAULT 0,"
    "  author_id INTEGER REFERENCES users(id) ON DELETE SET NULL,"
    "  source_document TEXT,"
    "  source_quote TEXT,"
    "  created_at TEXT NOT NULL,"
    "  updated_at TEXT NOT NULL);"
    "CREATE INDEX items_ws ON items(ws_id, status);"
    "CREATE INDEX items_theme ON items(theme_id);"
    "CREATE INDEX items_merged ON items(merged_into);"
    "CREATE TABLE links ("
    "  id INTEGER PRIMARY KEY,"
    "  ws_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,"
    "  from_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,"
    "  to_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,"
    "  polarity TEXT NOT NULL CHECK (polarity IN ('+', '-')),"
    "  delay INTEGER NOT NULL DEFAULT 0,"
    "  note TEXT NOT NULL DEFAULT '',"
    "  hidden INTEGER NOT NULL DEFAULT 0,"
    "  deleted INTEGER NOT NULL DEFAULT 0,"
    "  author_id INTEGER REFERENCES users(id) ON DELETE SET NULL,"
    "  created_at TEXT NOT NULL,"
    "  updated_at TEXT NOT NULL);"
    "CREATE INDEX links_ws ON links(ws_id);"
    "CREATE INDEX links_to ON links(to_id);"
    "CREATE UNIQUE INDEX links_pair ON links(from_id, to_id)"
    "  WHERE deleted = 0;"
    "CREATE TABLE ratings ("
    "  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  importance INTEGER NOT NULL CHECK (importance BETWEEN 1 AND 5),"
    "  uncertainty INTEGER NOT NULL CHECK (uncertainty BETWEEN 1 AND 5),"
    "  updated_at TEXT NOT NULL,"
    "  PRIMARY KEY (item_id, user_id));"
    "CREATE TABLE evidence ("
    "  id INTEGER PRIMARY KEY,"
    "  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,"
    "  kind TEXT NOT NULL CHECK (kind IN ('story', 'quote', 'figure')),"
    "  text TEXT NOT NULL,"
    "  source TEXT,"
    "  value REAL,"
    "  author_id INTEGER REFERENCES users(id) ON DELETE SET NULL,"
    "  created_at TEXT NOT NULL);"
    "CREATE INDEX evidence_item ON evidence(item_id);"
    "CREATE TABLE meetings ("
    "  id INTEGER PRIMARY KEY,"
    "  ws_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,"
    "  at TEXT NOT NULL,"
    "  note TEXT NOT NULL DEFAULT '',"
    "  by_id INTEGER REFERENCES users(id) ON DELETE SET NULL);"
    "CREATE INDEX meetings_ws ON meetings(ws_id);"
    /* The log: rows are only ever added (and go with their workspace). */
    "CREATE TABLE events ("
    "  id INTEGER PRIMARY KEY,"
    "  ws_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,"
    "  at TEXT NOT NULL,"
    "  actor_id INTEGER REFERENCES users(id) ON DELETE SET NULL,"
    "  action TEXT NOT NULL,"
    "  target_type TEXT NOT NULL,"
    "  target_id INTEGER,"
    "  item_a INTEGER,"
    "  item_b INTEGER,"
    "  link_id INTEGER,"
    "  summary TEXT NOT NULL,"
    "  before TEXT,"
    "  after TEXT);"
    "CREATE INDEX events_ws ON events(ws_id, id);"
    "CREATE INDEX events_target ON events(target_type, target_id, id);"
    "CREATE TRIGGER events_append_only BEFORE UPDATE ON events"
    "  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;",
    /* 2: the e-mail digest: the newest event each member was sent (0:
     * none yet, so the first digest starts from when they joined) and
     * when. */
    "ALTER TABLE memberships ADD COLUMN digest_event INTEGER NOT NULL"
    "  DEFAULT 0;"
    "ALTER TABLE memberships ADD COLUMN digest_at TEXT;",
    /* 3: the demand study: contact logs (the CSV as uploaded, its column
     * mapping, rows rejected, split dates), their contacts as imported,
     * the members' coding kept apart from them, and each workspace's
     * classification rules. */
    "CREATE TABLE demand_logs ("
    "  id INTEGER PRIMARY KEY,"
    "  ws_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,"
    "  name TEXT NOT NULL,"
    "  csv TEXT NOT NULL,"
    "  map TEXT NOT NULL DEFAULT '{}',"
    "  rejected TEXT NOT NULL DEFAULT '[]',"
    "  blank_rows INTEGER NOT NULL DEFAULT 0,"
    "  splits TEXT NOT NULL DEFAULT '[]',"
    "  author_id INTEGER REFERENCES users(id) ON DELETE SET NULL,"
    "  created_at TEXT NOT NULL);"
    "CREATE INDEX demand_logs_ws ON demand_logs(ws_id, id);"
    "CREATE TABLE demand_contacts ("
    "  id INTEGER PRIMARY KEY,"
    "  log_id INTEGER NOT NULL REFERENCES demand_logs(id) ON DELETE CASCADE,"
    "  line INTEGER NOT NULL,"
    "  ext_id TEXT NOT NULL,"
    "  received_at TEXT NOT NULL,"
    "  channel TEXT NOT NULL DEFAULT '',"
    "  service TEXT NOT NULL DEFAULT '',"
    "  words TEXT NOT NULL DEFAULT '',"
    "  demand TEXT NOT NULL DEFAULT '',"
    "  type TEXT NOT NULL DEFAULT '',"
    "  what_matters TEXT NOT NULL DEFAULT '',"
    "  first_contact INTEGER,"
    "  handoffs INTEGER,"
    "  case_id TEXT NOT NULL DEFAULT '',"
    "  case_closed_at TEXT NOT NULL DEFAULT '',"
    "  UNIQUE (log_id, line));"
    "CREATE TABLE demand_codes ("
    "  contact_id INTEGER PRIMARY KEY"
    "    REFERENCES demand_contacts(id) ON DELETE CASCADE,"
    "  demand TEXT NOT NULL CHECK (demand IN ('value', 'failure')),"
    "  type TEXT NOT NULL DEFAULT '',"
    "  author_id INTEGER REFERENCES users(id) ON DELETE SET NULL,"
    "  coded_at TEXT NOT NULL);"
    "CREATE TABLE demand_rules ("
    "  ws_id INTEGER PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,"
    "  text TEXT NOT NULL,"
    "  author_id INTEGER REFERENCES users(id) ON DELETE SET NULL,"
    "  updated_at TEXT NOT NULL);",
    /* 4: saved quantitative scenarios of the library's models; spec is
     * {"set": {...}, "graphs": {...}} as JSON text. */
    "CREATE TABLE scenarios ("
    "  id INTEGER PRIMARY KEY,"
    "  ws_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,"
    "  model TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  description TEXT NOT NULL DEFAULT '',"
    "  spec TEXT NOT NULL,"
    "  author_id INTEGER REFERENCES users(id) ON DELETE SET NULL,"
    "  created_at TEXT NOT NULL,"
    "  updated_at TEXT NOT NULL);"
    "CREATE UNIQUE INDEX scenarios_name ON scenarios(ws_id, model, name);",
    /* 5: scenario framing: per workspace, the two axes of the 2x2 (each an
     * item with the labels of its poles), the four scenario cards and the
     * items that matter most in each, robust moves (cards: a bit set, bit
     * q-1 for quadrant q) and leading indicators. */
    "CREATE TABLE framing_axes ("
    "  ws_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,"
    "  axis TEXT NOT NULL CHECK (axis IN ('x', 'y')),"
    "  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,"
    "  low TEXT NOT NULL,"
    "  high TEXT NOT NULL,"
    "  PRIMARY KEY (ws_id, axis));"
    "CREATE TABLE framing_cards ("
    "  ws_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,"
    "  quadrant INTEGER NOT NULL CHECK (quadrant BETWEEN 1 AND 4),"
    "  name TEXT NOT NULL DEFAULT '',"
    "  narrative TEXT NOT NULL DEFAULT '',"
    "  updated_at TEXT NOT NULL,"
    "  PRIMARY KEY (ws_id, quadrant));"
    "CREATE TABLE framing_card_items ("
    "  ws_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,"
    "  quadrant INTEGER NOT NULL CHECK (quadrant BETWEEN 1 AND 4),"
    "  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,"
    "  pos INTEGER NOT NULL,"
    "  PRIMARY KEY (ws_id, quadrant, item_id));"
    "CREATE TABLE framing_moves ("
    "  id INTEGER PRIMARY KEY,"
    "  ws_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,"
    "  text TEXT NOT NULL,"
    "  cards INTEGER NOT NULL DEFAULT 0 CHECK (cards BETWEEN 0 AND 15),"
    "  author_id INTEGER REFERENCES users(id) ON DELETE SET NULL,"
    "  created_at TEXT NOT NULL,"
    "  updated_at TEXT NOT NULL);"
    "CREATE INDEX framing_moves_ws ON framing_moves(ws_id, id);"
    "CREATE TABLE framing_indicators ("
    "  id INTEGER PRIMARY KEY,"
    "  ws_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,"
    "  text TEXT NOT NULL,"
    "  card INTEGER NOT NULL CHECK (card BETWEEN 1 AND 4),"
    "  item_id INTEGER REFERENCES items(id) ON DELETE SET NULL,"
    "  author_id INTEGER REFERENCES users(id) ON DELETE SET NULL,"
    "  created_at TEXT NOT NULL,"
    "  updated_at TEXT NOT NULL);"
    "CREATE INDEX framing_indicators_ws ON framing_indicators(ws_id, id);",
};

#define NMIGRATIONS ((int)(sizeof migrations / sizeof *migrations))

int store_schema_version(void)
{
    return NMIGRATIONS;
}

int store_migrate(StoreDb *db, int *was, StoreErr *err)
{
    long long v = 0;
    int rc = db_int(db, err, &v, 0, "PRAGMA user_version", "");
    if (rc != STORE_OK)
        return rc;
    *was = (int)v;
    if (v > NMIGRATIONS)
        return err_set(err, STORE_EINTERNAL, "internal", NULL,
                       "the database has schema version %lld, newer than "
                       "this program's %d",
                       v, NMIGRATIONS);
    for (int i = (int)v; i < NMIGRATIONS; i++) {
        char *msg = NULL;
        if (sqlite3_exec(db->h, migrations[i], NULL, NULL, &msg) != SQLITE_OK) {
            err_set(err, STORE_EINTERNAL, "internal", NULL,
                    "migration %d failed: %s", i + 1,
                    msg ? msg : sqlite3_errmsg(db->h));
            sqlite3_free(msg);
            return STORE_EINTERNAL;
        }
    }
    if (v < NMIGRATIONS) {
        /* PRAGMA takes no parameters; the number is ours, not user text */
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", NMIGRATIONS);
        if (sqlite3_exec(db->h, sql, NULL, NULL, NULL) != SQLITE_OK)
            return err_db(err, db, "set the schema version");
    }
    return STORE_OK;
}
