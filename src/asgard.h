/* The narrow C interface between the nginx glue (ngx_module/) and the C++ core (src/).
 * Every function is noexcept on the C++ side and never lets an exception escape. */
#ifndef ASGARD_H
#define ASGARD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#define ASG_NOEXCEPT noexcept
#else
#define ASG_NOEXCEPT
#endif

#define ASG_VERSION "0.1.0"

typedef struct {
    const char *data;
    size_t      len;
} asg_str_t;

/* ---- configuration (once per worker, before any other call) ---- */

typedef struct {
    const char *database_url;     /* libpq connection string */
    const char *redis_host;       /* IP literal */
    int         redis_port;
    const char *master_key;       /* the decoded master key (read by the master process) */
    size_t      master_key_len;
    int64_t     session_ttl_ms;
    int64_t     io_timeout_ms;    /* PostgreSQL/Redis connect and command timeout */
} asg_core_config_t;

/* Returns 0, or -1 with a message in err. Safe to call again (a reload). */
int asg_core_configure(const asg_core_config_t *cfg, char *err, size_t errlen) ASG_NOEXCEPT;
/* Reads a master key file (64+ hex digits or 32+ raw bytes, not group/world-readable) into
 * key (capacity *len; on return the key's length). Returns 0, or -1 with a message in err. */
int asg_master_key_load(const char *path, char *key, size_t *len, char *err, size_t errlen) ASG_NOEXCEPT;

/* ---- authentication ---- */

typedef enum {
    ASG_AUTH_OK = 0,
    ASG_AUTH_MISSING,
    ASG_AUTH_NOT_BEARER,
    ASG_AUTH_MALFORMED,
    ASG_AUTH_BAD_CHECKSUM,
    ASG_AUTH_UNKNOWN,
    ASG_AUTH_REVOKED,
    ASG_AUTH_EXPIRED,
    ASG_AUTH_UNAVAILABLE,
    ASG_AUTH_USER_DISABLED   /* a user token whose user an administrator has disabled */
} asg_auth_status_t;

typedef enum { ASG_CRED_USER = 1, ASG_CRED_PROJECT = 2 } asg_cred_kind_t;

/* Fixed-size and pointer-free: the glue stores it verbatim in shared memory. */
typedef struct {
    int32_t status;        /* asg_auth_status_t of the lookup (negative cache entries too) */
    int32_t kind;          /* asg_cred_kind_t */
    int64_t token_id;
    int64_t user_id;
    int64_t expires_at_ms; /* 0: never */
    int32_t is_admin;
    int32_t may_provision; /* a project key minted with --allow-provision may request and release resources */
    char    user_name[64];
    char    project_id[24];
    char    default_data_class[16]; /* a project key's data class for gateway calls naming none; "" for none */
} asg_principal_t;

/* Parses an Authorization header value (NULL when absent): scheme, format and checksum, no I/O.
 * On ASG_AUTH_OK fills digest (SHA-256 of the token) for the cache and the lookup. */
asg_auth_status_t asg_auth_parse_header(const char *value, size_t len,
                                        unsigned char digest[32]) ASG_NOEXCEPT;
/* The same without the checksum, for looking the token up in the cache: a cached token passed
 * the checksum when it was first looked up, so only a cache miss needs asg_auth_parse_header. */
asg_auth_status_t asg_auth_digest_header(const char *value, size_t len,
                                         unsigned char digest[32]) ASG_NOEXCEPT;
/* Blocking PostgreSQL lookup of a token digest (thread pool only). Fills out->status. */
void asg_auth_lookup(const unsigned char digest[32], asg_principal_t *out) ASG_NOEXCEPT;
/* Expiry check for a cached principal: returns its effective status at now_ms. */
asg_auth_status_t asg_auth_effective_status(const asg_principal_t *p, int64_t now_ms) ASG_NOEXCEPT;

typedef struct {
    int    http_status;            /* 401 or 503 */
    char   www_authenticate[256];  /* "" when none */
    char  *body;                   /* JSON; release with asg_free */
    size_t body_len;
} asg_http_error_t;

/* The 401/503 answer for a failed authentication. */
int asg_auth_error(asg_auth_status_t status, asg_http_error_t *out) ASG_NOEXCEPT;
/* The same under /api/gateway/: in the API family's shape (api: ASG_API_OPENAI or
 * ASG_API_ANTHROPIC), the code naming the reason. */
int asg_gateway_auth_error(int api, asg_auth_status_t status, asg_http_error_t *out) ASG_NOEXCEPT;
/* The 429 for a client address over its failed-authentication limit (its Retry-After is the
 * glue's): api 0 for /mcp, else the gateway's API family. */
int asg_auth_throttled_error(int api, int64_t retry_after_s, asg_http_error_t *out) ASG_NOEXCEPT;

/* Remembers that tokens were used (batched by the glue, written from the thread pool). */
void asg_tokens_touch(const int64_t *token_ids, size_t count) ASG_NOEXCEPT;

/* ---- MCP over Streamable HTTP ---- */

typedef enum {
    ASG_SESSION_UNKNOWN = 0,  /* not in the glue's cache */
    ASG_SESSION_LIVE = 1,
    ASG_SESSION_ENDED = 2
} asg_session_state_t;

/* Progress notifications of a tool call, as Server-Sent Events: a pool thread queues them while
 * the call runs, the event loop takes them. Thread-safe. */
typedef struct asg_mcp_progress_s asg_mcp_progress_t;
asg_mcp_progress_t *asg_mcp_progress_new(void) ASG_NOEXCEPT;   /* NULL when out of memory */
/* Everything queued since the last take, in *events (release with asg_free); 0 and NULL when none. */
size_t asg_mcp_progress_take(asg_mcp_progress_t *p, char **events) ASG_NOEXCEPT;
/* Queues the call's answer (a JSON-RPC message) as the stream's last event. */
void asg_mcp_progress_end(asg_mcp_progress_t *p, const char *answer, size_t len) ASG_NOEXCEPT;
void asg_mcp_progress_free(asg_mcp_progress_t *p) ASG_NOEXCEPT;

typedef struct {
    asg_str_t              http_method;
    asg_str_t              body;
    asg_str_t              content_type;
    asg_str_t              accept;
    asg_str_t              protocol_version;  /* MCP-Protocol-Version header */
    asg_str_t              session_id;        /* Mcp-Session-Id header */
    asg_str_t              mcp_method;        /* Mcp-Method header (2026-07-28) */
    asg_str_t              mcp_name;          /* Mcp-Name header (2026-07-28) */
    const asg_principal_t *principal;
    int                    session_state;     /* asg_session_state_t from the glue's cache */
    int                    allow_io;          /* 0 on the event loop, 1 on a pool thread */
    int64_t                now_ms;
    size_t                 max_batch;          /* messages a batch may hold (0: 100) */
    size_t                 max_response_size;  /* bytes an answer may reach (0: 8 MiB) */
    asg_mcp_progress_t    *progress;           /* where a tools/call reports progress; NULL: nowhere */
} asg_mcp_request_t;

typedef struct {
    int      needs_io;            /* redo this request on the thread pool */
    int      http_status;
    char    *body;                /* release with asg_free; NULL when no body */
    size_t   body_len;
    char     content_type[40];
    char     session_id[200];     /* Mcp-Session-Id to send back, "" for none */
    char     allow[24];           /* Allow header for 405, "" for none */
    /* Session state the glue should remember (ASG_SESSION_UNKNOWN: nothing to remember). */
    int      cache_state;
    unsigned char cache_key[32];
    int64_t  cache_until_ms;
    char     log_line[400];       /* a server-side failure for the error log, "" for none */
    int      wants_progress;      /* with needs_io: a tools/call with a progressToken; give the pool
                                     pass a progress queue and stream what it reports */
    /* An event stream opens (a session's GET, or 2026-07-28's subscriptions/listen): status 200,
     * text/event-stream, body its first bytes. The glue keeps it, polls the change feed from
     * stream_seq with asg_mcp_feed_poll (handing back stream_filter, a listen stream's filter, or
     * the session key), and ends it at stream_until_ms, first sending stream_close (the listen
     * request's result; empty for a GET) when it ends it gracefully. Release stream_filter and
     * stream_close with asg_free. */
    int           opens_stream;
    int64_t       stream_seq;
    unsigned char stream_session[32];
    int64_t       stream_until_ms;
    char         *stream_filter;
    size_t        stream_filter_len;
    char         *stream_close;
    size_t        stream_close_len;
} asg_mcp_response_t;

/* One look at the resource change feed for a worker's open event streams (on a pool thread). */
typedef struct {
    size_t                 count;
    const unsigned char  (*sessions)[32];   /* each stream's session key (a GET's) */
    const char * const    *filters;         /* each stream's stream_filter (a listen stream's), or NULL */
    const size_t          *filters_len;
    const int64_t         *after;           /* each stream's last seq */
    /* Out: each stream's new last seq, events (Server-Sent Events text, NULL when none), and
     * whether its session was ended (the stream ends). */
    int64_t               *seq;
    int                   *ended;
    char                 **events;
    size_t                *events_len;
    char                   log_line[300];   /* a failure for the error log, "" for none */
} asg_mcp_feed_t;
void asg_mcp_feed_poll(asg_mcp_feed_t *feed) ASG_NOEXCEPT;

/* Handles one HTTP exchange on /mcp. Never fails: errors become HTTP/JSON-RPC answers. */
void asg_mcp_handle(const asg_mcp_request_t *req, asg_mcp_response_t *out) ASG_NOEXCEPT;
/* The shared-cache key of a session id header value. */
void asg_session_cache_key(const char *session_id, size_t len, unsigned char key[32]) ASG_NOEXCEPT;

/* ---- the governed LLM gateway (/api/gateway/chat) ---- */

typedef struct asg_gateway_call_s asg_gateway_call_t;

/* What a call waits for before it is decided. */
#define ASG_GATEWAY_DECIDED     0
#define ASG_GATEWAY_WAIT_REDIS  1   /* send asg_gateway_commands, hand the last reply to asg_gateway_redis_reply */
#define ASG_GATEWAY_WAIT_POOL   2   /* run asg_gateway_pool_run on the thread pool, then asg_gateway_pool_done */

typedef struct {
    int      wait;              /* ASG_GATEWAY_DECIDED, or what the call waits for */
    int      status;            /* decided: 0 to go on; else the HTTP status of the answer in body */
    char    *body;              /* OpenAI-style error JSON; release with asg_free */
    size_t   body_len;
    char     retry_after[16];   /* "" or seconds, for 429 */
    char     log_line[300];     /* a server-side failure for the error log, "" for none */
    int      nheaders;
    char     header_names[10][40];
    char     header_values[10][40];
} asg_gateway_verdict_t;

/* Redis commands for the glue's asynchronous connection, each already in Redis's protocol (the
 * glue hands them to redisAsyncFormattedCommand). The pointers stay valid until the next call that
 * fills the same structure, or the call's free. */
#define ASG_REDIS_MAX_COMMANDS 12
typedef struct {
    int         count;
    const char *wire[ASG_REDIS_MAX_COMMANDS];
    size_t      wirelen[ASG_REDIS_MAX_COMMANDS];
} asg_redis_commands_t;

/* A gateway call, from the glue's side: begin it (governance, the body rewrite, then the
 * reservation of rate limits and budget, which the core carries out in Redis through the glue's
 * asynchronous connection), let it wait for what its verdict asks until it is decided, feed it the
 * response, end it. The glue never interprets the commands: after every step it also sends
 * asg_gateway_outbox's commands, whose answers nobody reads. Returns the call (free with
 * asg_gateway_call_free), or NULL when out of memory. With padded set, ASG_BODY_PADDING readable
 * bytes follow body[len] and the body is parsed where it lies. */
#define ASG_BODY_PADDING 64
/* The gateway's routes (found from the request path by asg_gateway_route) and API families. */
#define ASG_ROUTE_CHAT          0   /* .../chat, .../chat/completions */
#define ASG_ROUTE_EMBEDDINGS    1
#define ASG_ROUTE_RESPONSES     2
#define ASG_ROUTE_MESSAGES      3   /* Anthropic */
#define ASG_ROUTE_COUNT_TOKENS  4   /* Anthropic */
#define ASG_API_OPENAI          1
#define ASG_API_ANTHROPIC       2
/* The route a path ends with, or -1. */
int asg_gateway_route(const char *path, size_t len) ASG_NOEXCEPT;
/* A route's API family (ASG_API_*). */
int asg_gateway_route_api(int route) ASG_NOEXCEPT;
/* An answer of the gateway's own (405, 413, 404...) in an API family's shape: for OpenAI
 * {"error":{"message","type","code"}}, for Anthropic {"type":"error","error":{"type","message"}}. */
void asg_gateway_error(int api, int status, const char *code, const char *message,
                       asg_http_error_t *out) ASG_NOEXCEPT;
typedef struct {
    const char *request_id;   /* 32 hex digits, NUL-terminated */
    asg_str_t   body;
    int         padded;
    asg_str_t   data_class;   /* the X-Asgard-Data-Class header; len 0 when absent */
    int         route;        /* ASG_ROUTE_* */
    int64_t     now_ms;
} asg_gateway_request_t;
asg_gateway_call_t *asg_gateway_begin(const asg_principal_t *p, const asg_gateway_request_t *req,
                                      asg_gateway_verdict_t *out) ASG_NOEXCEPT;
/* ASG_GATEWAY_WAIT_REDIS: the commands to send. */
void asg_gateway_commands(asg_gateway_call_t *call, asg_redis_commands_t *out) ASG_NOEXCEPT;
/* ASG_GATEWAY_WAIT_REDIS: a reservation joins the event loop pass's batch instead (returns 1;
 * 0: send its own asg_gateway_commands). At the pass's end the glue takes the batch, sends its
 * commands (one MULTI/EXEC), and hands each waiter, in order, asg_gateway_batch_reply's part of
 * EXEC's reply as that call's reply; then frees the batch. */
typedef struct asg_gateway_batch_s asg_gateway_batch_t;
int asg_gateway_batch_join(asg_gateway_call_t *call, void *waiter) ASG_NOEXCEPT;
asg_gateway_batch_t *asg_gateway_batch_take(void) ASG_NOEXCEPT;   /* NULL: none joined */
size_t asg_gateway_batch_commands(asg_gateway_batch_t *b) ASG_NOEXCEPT;
asg_str_t asg_gateway_batch_command(asg_gateway_batch_t *b, size_t i) ASG_NOEXCEPT;
size_t asg_gateway_batch_size(asg_gateway_batch_t *b) ASG_NOEXCEPT;
void *asg_gateway_batch_waiter(asg_gateway_batch_t *b, size_t i) ASG_NOEXCEPT;
const void *asg_gateway_batch_reply(asg_gateway_batch_t *b, size_t i, const void *exec_reply) ASG_NOEXCEPT;
void asg_gateway_batch_free(asg_gateway_batch_t *b) ASG_NOEXCEPT;
/* The last command's reply (a hiredis redisReply*; NULL when the commands could not be sent or
 * the connection failed). Called exactly once per wait, also after asg_gateway_redis_timeout
 * (then out is left decided with status 0 and no body, and the glue only sends the outbox). */
void asg_gateway_redis_reply(asg_gateway_call_t *call, const void *reply, int64_t now_ms,
                             asg_gateway_verdict_t *out) ASG_NOEXCEPT;
/* Redis did not answer within asgard_io_timeout: the verdict (503). */
void asg_gateway_redis_timeout(asg_gateway_call_t *call, asg_gateway_verdict_t *out) ASG_NOEXCEPT;
/* ASG_GATEWAY_WAIT_POOL: a job of its own (it outlives the call if need be), run on a pool
 * thread, then handed back (NULL: it could not run) or freed. */
typedef struct asg_gateway_job_s asg_gateway_job_t;
asg_gateway_job_t *asg_gateway_pool_job(asg_gateway_call_t *call) ASG_NOEXCEPT;
void asg_gateway_pool_run(asg_gateway_job_t *job) ASG_NOEXCEPT;
void asg_gateway_pool_done(asg_gateway_call_t *call, asg_gateway_job_t *job, int64_t now_ms,
                           asg_gateway_verdict_t *out) ASG_NOEXCEPT;
void asg_gateway_job_free(asg_gateway_job_t *job) ASG_NOEXCEPT;
/* The worker's commands to send without waiting for an answer (up to ASG_REDIS_MAX_COMMANDS;
 * call again until count is 0); keep them for later while the connection is down. */
void asg_gateway_outbox(asg_redis_commands_t *out) ASG_NOEXCEPT;
/* The asynchronous Redis connection was lost (its counters may be gone with Redis). */
void asg_gateway_counters_lost(void) ASG_NOEXCEPT;
/* What the proxy needs: the rewritten body, the upstream URL, the provider key and host, the id. */
asg_str_t asg_gateway_call_field(asg_gateway_call_t *call, int field) ASG_NOEXCEPT;
#define ASG_GATEWAY_BODY          0
#define ASG_GATEWAY_UPSTREAM_URL  1
#define ASG_GATEWAY_PROVIDER_KEY  2
#define ASG_GATEWAY_PROVIDER_HOST 3
/* The provider's answer as it streams: its status and content type once, then each chunk. */
void asg_gateway_response_start(asg_gateway_call_t *call, int status, const char *content_type,
                                size_t len) ASG_NOEXCEPT;
void asg_gateway_response_data(asg_gateway_call_t *call, const char *data, size_t len) ASG_NOEXCEPT;
/* A streamed 2xx answer (text/event-stream), instead of asg_gateway_response_data: each chunk's
 * bytes in (metered), the bytes the client gets instead out (*out, *out_len, valid until the next
 * call on this call; may be empty while a line is incomplete); last set with the stream's end. */
void asg_gateway_response_stream(asg_gateway_call_t *call, const char *data, size_t len, int last,
                                 const char **out, size_t *out_len) ASG_NOEXCEPT;
/* A non-streamed 2xx answer is held back until it is whole (up to ASG_GATEWAY_MAX_HELD_ANSWER
 * bytes; a longer one is passed on unchecked), then: 0 to pass it on as it is, or the status of
 * the answer to send instead, its JSON in out (release out->body with asg_free): 502
 * upstream_malformed (not a JSON object), or the provider's status with its answer as the client
 * gets it ("model" the alias the client asked for). */
#define ASG_GATEWAY_MAX_HELD_ANSWER (4 * 1024 * 1024)
int asg_gateway_response_end(asg_gateway_call_t *call, asg_http_error_t *out) ASG_NOEXCEPT;
/* The end of the call, on the event loop without I/O: the status the client got, whether it went
 * away; settles the reservation (into the outbox) and queues the spend and call rows (the row is in
 * the spool on return). Called as the answer's last buffer goes out, and again when the request is
 * freed: only the first call counts. */
void asg_gateway_end(asg_gateway_call_t *call, int final_status, int client_aborted,
                     int64_t now_ms) ASG_NOEXCEPT;
/* Frees the call (after a wait for Redis that timed out, once its reply has come). */
void asg_gateway_call_free(asg_gateway_call_t *call) ASG_NOEXCEPT;

/* Thread pool, from timers: reload the configuration snapshot when it changed; write batched
 * spend and call rows. Return 0, or -1 with a message in err. */
int asg_gateway_refresh(char *err, size_t errlen) ASG_NOEXCEPT;
int asg_gateway_flush(char *err, size_t errlen) ASG_NOEXCEPT;
/* On the event loop, at every flush tick and at worker exit: the rows its settlements queued
 * (without a lock) join the queue asg_gateway_flush writes. */
void asg_gateway_hand_over_rows(void) ASG_NOEXCEPT;
/* The worker's call spool (asgard_spool_path): each queued call row is also appended to a file of
 * the worker's own until it is written, so a crashed worker's rows are replayed by another.
 * init_process: starts it in dir (0, or -1 with a message: the worker runs without one).
 * exit_process, after the last flush: removes what was written, closes the rest.
 * Thread pool, after each flush: replays the files of dead workers; 0 nothing done, 1 replayed
 * (a line per file in msg), -1 a problem (msg says which). */
int asg_gateway_spool_open(const char *dir, char *err, size_t errlen) ASG_NOEXCEPT;
void asg_gateway_spool_close(void) ASG_NOEXCEPT;
int asg_gateway_replay_spools(char *msg, size_t msglen) ASG_NOEXCEPT;
/* GET /api/gateway/[v1/]models (model_id.len 0: the list) or .../models/{id} (one model) for a
 * principal: 200 with the API family's shape (OpenAI: every model the key may use; Anthropic, for
 * a client sending anthropic-version: the models of Anthropic providers), or an error (404
 * model_not_found for an unknown id). */
void asg_gateway_models(const asg_principal_t *p, asg_str_t model_id, int api, int64_t now_ms,
                        asg_http_error_t *out) ASG_NOEXCEPT;
/* The 403 answer when a user token calls the gateway. */
void asg_gateway_user_token_error(int api, asg_http_error_t *out) ASG_NOEXCEPT;

/* ---- the dashboard's JSON API (/api/dashboard/...) ---- */

typedef struct {
    asg_str_t  method;
    asg_str_t  path;        /* below the API's location, e.g. "/tokens" */
    asg_str_t  query;       /* the query string without "?" ("" for none) */
    asg_str_t  body;
    asg_str_t  cookie;      /* the Cookie header */
    asg_str_t  host;        /* the Host header */
    asg_str_t  origin;      /* the Origin header ("" when absent) */
    asg_str_t  fetch_site;  /* the Sec-Fetch-Site header ("" when absent) */
    int        csrf_header; /* X-Asgard-Dashboard was sent */
    int        loopback;    /* the client reached a loopback address: the cookie may go without Secure */
    asg_str_t  sso_user;    /* asgard_dashboard_user's value: who the SSO says this is ("" for nobody) */
    asg_str_t  cursor;      /* a streamed answer's next part: the previous part's next_cursor ("" for the first) */
} asg_dashboard_request_t;

typedef struct {
    int     http_status;
    char   *body;            /* JSON; release with asg_free */
    size_t  body_len;
    char    set_cookie[200]; /* "" for none */
    char    log_line[200];   /* a server-side failure for the error log, "" for none */
    char    content_type[48];          /* "" for application/json */
    char    content_disposition[128];  /* "" for none */
    char    next_cursor[96];           /* "" when the answer is whole; else the body is one part, and the
                                          next comes from the same request with this as its cursor */
} asg_dashboard_response_t;

/* One dashboard API request (thread pool only: PostgreSQL). Never fails: errors are JSON answers.
 * A streamed answer (a CSV export) comes in parts: a part other than the first answers 200 or
 * the stream is to be cut. */
void asg_dashboard_handle(const asg_dashboard_request_t *req, asg_dashboard_response_t *out) ASG_NOEXCEPT;

/* A fresh request id (32 hex digits + NUL). */
void asg_request_id(char out[33]) ASG_NOEXCEPT;

void asg_free(void *p) ASG_NOEXCEPT;

#ifdef __cplusplus
}
#endif

#endif /* ASGARD_H */
