/*
 * router.c - the table of the API's routes (docs/http-api.md) and the
 * matcher that picks one for a method and path. A pattern is a list of
 * segments: literals, ":slug", ":id" (a positive decimal id; anything
 * else still matches, with id -1, so that the answer is a 404 for the
 * thing rather than for the route) and ":token". The matcher is pure, so
 * the fuzz target can drive it.
 */
#include "web_int.h"

#include <stdio.h>
#include <string.h>

#define V STORE_VIEWER
#define C STORE_CONTRIBUTOR
#define F STORE_FACILITATOR
#define O STORE_OWNER
#define A WEB_R_AUTH
#define B (WEB_R_AUTH | WEB_R_BODY)
#define OB (WEB_R_AUTH | WEB_R_OPTBODY)
#define G WEB_R_GROUP

static const WebRoute routes[] = {
    {"POST", "/api/signup", web_signup, 0, WEB_R_BODY},
    {"POST", "/api/signin", web_signin, 0, WEB_R_BODY},
    {"POST", "/api/signout", web_signout, 0, 0},
    {"GET", "/api/me", web_me, 0, 0},
    {"GET", "/api/workspaces", web_ws_list, 0, A},
    {"POST", "/api/workspaces", web_ws_create, 0, B},
    {"POST", "/api/workspaces/import", web_ws_import, 0, B},
    {"POST", "/api/invites/:token/accept", web_invite_accept, 0, A},
    {"GET", "/api/w/:slug", web_ws_get, V, A},
    {"PATCH", "/api/w/:slug", web_ws_edit, F, B},
    {"DELETE", "/api/w/:slug", web_ws_delete, O, A},
    {"PATCH", "/api/w/:slug/me", web_me_edit, V, B},
    {"GET", "/api/w/:slug/members", web_members, V, A},
    {"PATCH", "/api/w/:slug/members/:id", web_member_edit, O, B},
    {"DELETE", "/api/w/:slug/members/:id", web_member_remove, O, A},
    {"POST", "/api/w/:slug/invites", web_invite_make, F, B},
    {"POST", "/api/w/:slug/meetings", web_meeting_end, F, OB},
    {"GET", "/api/w/:slug/items", web_items_list, V, A},
    {"POST", "/api/w/:slug/items", web_item_add, C, B | G},
    {"GET", "/api/w/:slug/items/:id", web_item_get, V, A},
    {"PATCH", "/api/w/:slug/items/:id", web_item_edit, C, B | G},
    {"DELETE", "/api/w/:slug/items/:id", web_item_delete, C, A | G},
    {"POST", "/api/w/:slug/items/:id/merge", web_item_merge, F, B | G},
    {"PUT", "/api/w/:slug/items/:id/rating", web_item_rate, C, B | G},
    {"POST", "/api/w/:slug/items/:id/evidence", web_item_evidence, C, B | G},
    {"POST", "/api/w/:slug/items/:id/hide", web_item_hide, F, A | G},
    {"POST", "/api/w/:slug/items/:id/restore", web_item_restore, F, A | G},
    {"POST", "/api/w/:slug/items/:id/rollback", web_item_rollback, F, B | G},
    {"POST", "/api/w/:slug/items/:id/theme", web_item_theme, C, B | G},
    {"GET", "/api/w/:slug/similar", web_similar, V, A},
    {"GET", "/api/w/:slug/themes", web_themes_list, V, A},
    {"POST", "/api/w/:slug/themes", web_theme_add, F, B | G},
    {"POST", "/api/w/:slug/themes/suggest", web_themes_suggest, F, OB},
    {"PATCH", "/api/w/:slug/themes/:id", web_theme_edit, F, B | G},
    {"DELETE", "/api/w/:slug/themes/:id", web_theme_delete, F, A | G},
    {"GET", "/api/w/:slug/links", web_links_list, V, A},
    {"POST", "/api/w/:slug/links", web_link_add, C, B | G},
    {"PATCH", "/api/w/:slug/links/:id", web_link_edit, C, B | G},
    {"DELETE", "/api/w/:slug/links/:id", web_link_delete, C, A | G},
    {"POST", "/api/w/:slug/links/:id/hide", web_link_hide, F, A | G},
    {"POST", "/api/w/:slug/links/:id/restore", web_link_restore, F, A | G},
    {"POST", "/api/w/:slug/links/:id/rollback", web_link_rollback, F, B | G},
    {"GET", "/api/w/:slug/map", web_map, V, A | WEB_R_SNAPSHOT},
    {"GET", "/api/w/:slug/loops", web_loops, V, A},
    {"GET", "/api/w/:slug/events", web_events, V, A},
    {"GET", "/api/w/:slug/feed.atom", web_feed, V, WEB_R_FEED},
    {"GET", "/api/w/:slug/export.json", web_export_json, V, A},
    {"GET", "/api/w/:slug/export.graphml", web_export_graphml, V, A},
    {"GET", "/api/w/:slug/export.dot", web_export_dot, V, A},
    {"GET", "/api/w/:slug/items.csv", web_export_csv, V, A},
    {"GET", "/api/w/:slug/grid", web_grid, V, A},
    {"GET", "/api/w/:slug/framing", web_framing_get, V, A},
    {"PUT", "/api/w/:slug/framing/axes", web_framing_axes, F, B},
    {"DELETE", "/api/w/:slug/framing/axes", web_framing_axes_clear, F, A},
    {"PATCH", "/api/w/:slug/framing/cards/:id", web_framing_card, F, B},
    {"POST", "/api/w/:slug/framing/moves", web_framing_move_add, C, B},
    {"PATCH", "/api/w/:slug/framing/moves/:id", web_framing_move_edit, C, B},
    {"DELETE", "/api/w/:slug/framing/moves/:id", web_framing_move_delete, C, A},
    {"POST", "/api/w/:slug/framing/indicators", web_framing_indicator_add, C,
     B},
    {"PATCH", "/api/w/:slug/framing/indicators/:id", web_framing_indicator_edit,
     C, B},
    {"DELETE", "/api/w/:slug/framing/indicators/:id",
     web_framing_indicator_delete, C, A},
    {"GET", "/api/models", web_models_list, 0, A},
    {"GET", "/api/models/:token", web_model_get, 0, A},
    {"POST", "/api/models/:token/run", web_model_run, 0, OB},
    {"POST", "/api/models/:token/compare", web_model_compare, 0, B},
    {"POST", "/api/models/:token/ensemble", web_model_ensemble, 0, B},
    {"GET", "/api/models/:token/dominance", web_model_dominance, 0, A},
    {"GET", "/api/w/:slug/scenarios", web_scenarios_list, V, A},
    {"POST", "/api/w/:slug/scenarios", web_scenario_add, C, B},
    {"PATCH", "/api/w/:slug/scenarios/:id", web_scenario_edit, C, B},
    {"DELETE", "/api/w/:slug/scenarios/:id", web_scenario_delete, C, A},
    {"GET", "/api/w/:slug/demand/logs", web_demand_logs, V, A},
    {"POST", "/api/w/:slug/demand/logs", web_demand_log_add, C, B},
    {"GET", "/api/w/:slug/demand/logs/:id", web_demand_log_get, V, A},
    {"DELETE", "/api/w/:slug/demand/logs/:id", web_demand_log_delete, F, A},
    {"GET", "/api/w/:slug/demand/logs/:id/contacts", web_demand_contacts, V, A},
    {"PUT", "/api/w/:slug/demand/logs/:id/splits", web_demand_splits, C, B},
    {"GET", "/api/w/:slug/demand/logs/:id/measures", web_demand_measures, V, A},
    {"GET", "/api/w/:slug/demand/logs/:id/report.html", web_demand_report, V,
     A},
    {"PUT", "/api/w/:slug/demand/contacts/:id", web_demand_code, C, B},
    {"GET", "/api/w/:slug/demand/rules", web_demand_rules_get, V, A},
    {"PUT", "/api/w/:slug/demand/rules", web_demand_rules_put, C, B},
};

#define NROUTES (sizeof routes / sizeof *routes)

/* A positive decimal id of at most 18 digits, else -1. */
static long long parse_id(const char *s, size_t n)
{
    if (n == 0 || n > 18 || s[0] == '0')
        return -1;
    long long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* Whether path matches pattern, filling m. */
static bool match(const char *pattern, const char *path, WebMatch *m)
{
    const char *p = pattern, *s = path;
    while (*p && *s) {
        if (*p != '/' || *s != '/')
            return false;
        p++;
        s++;
        size_t pn = strcspn(p, "/"), sn = strcspn(s, "/");
        if (pn > 0 && p[0] == ':') {
            if (sn == 0)
                return false; /* an empty segment names nothing */
            if (!strncmp(p, ":slug", pn)) {
                size_t k = sn < sizeof m->slug ? sn : 0;
                memcpy(m->slug, s, k);
                m->slug[k] = '\0';
            } else if (!strncmp(p, ":id", pn)) {
                m->id = parse_id(s, sn);
            } else if (!strncmp(p, ":token", pn)) {
                size_t k = sn < sizeof m->token ? sn : 0;
                memcpy(m->token, s, k);
                m->token[k] = '\0';
            }
        } else if (pn != sn || strncmp(p, s, pn)) {
            return false;
        }
        p += pn;
        s += sn;
    }
    return !*p && !*s;
}

int web_route(const char *method, const char *path, const WebRoute **route,
              WebMatch *m, char *allow, size_t cap)
{
    *route = NULL;
    if (allow && cap)
        allow[0] = '\0';
    bool path_found = false;
    WebMatch tmp;
    for (size_t i = 0; i < NROUTES; i++) {
        tmp.id = -1;
        tmp.slug[0] = tmp.token[0] = '\0';
        if (!match(routes[i].pattern, path, &tmp))
            continue;
        if (!strcmp(routes[i].method, method)) {
            *m = tmp;
            *route = &routes[i];
            return 0;
        }
        path_found = true;
        if (allow && cap && !strstr(allow, routes[i].method)) {
            size_t n = strlen(allow);
            snprintf(allow + n, cap - n, "%s%s", n ? ", " : "",
                     routes[i].method);
        }
    }
    return path_found ? 405 : 404;
}
