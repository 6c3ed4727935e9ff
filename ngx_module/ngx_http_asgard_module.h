/* Shared declarations of the Asgard nginx glue: configuration, request context, helpers. */
#ifndef NGX_HTTP_ASGARD_MODULE_H
#define NGX_HTTP_ASGARD_MODULE_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <ngx_thread_pool.h>

#include "asgard.h"

#if !(NGX_THREADS)
#error "Asgard needs nginx built --with-threads"
#endif

typedef struct {
    ngx_str_t            database_url;
    ngx_str_t            redis_host;
    ngx_int_t            redis_port;
    ngx_str_t            master_key_file;
    ngx_str_t            master_key;    /* read by the master: workers may not read the file */
    ngx_str_t            thread_pool_name;
    ngx_thread_pool_t   *thread_pool;
    ngx_shm_zone_t      *cache_zone;
    ngx_shm_zone_t      *auth_limit_default;  /* where no asgard_auth_failure_limit is given */
    ngx_path_t          *spool_path;    /* asgard_spool_path: the workers' call spool files */
    ngx_msec_t           cache_ttl;
    ngx_msec_t           session_ttl;
    ngx_msec_t           io_timeout;
    ngx_msec_t           touch_interval;
    ngx_msec_t           stream_keepalive;  /* asgard_mcp_stream_keepalive: silence before a comment */
    ngx_flag_t           used;          /* some location runs Asgard */
    ngx_flag_t           gateway_used;  /* some location runs the gateway */
    ngx_int_t            request_id_index;
} ngx_http_asgard_main_conf_t;

typedef struct {
    ngx_flag_t           mcp;
    ngx_flag_t           gateway;          /* asgard_gateway: /api/gateway/chat */
    ngx_flag_t           gateway_models;   /* asgard_gateway_models: GET /api/gateway/models */
    ngx_array_t         *allowed_origins;  /* of ngx_str_t; NULL: same host or localhost */
    ngx_array_t         *allowed_hosts;    /* of ngx_str_t; NULL: server_name or localhost */
    size_t               max_body_size;
    ngx_shm_zone_t      *auth_limit_zone;  /* asgard_auth_failure_limit; NULL: off */
    ngx_int_t            mcp_max_batch;          /* messages one /mcp batch may hold */
    size_t               mcp_max_response_size;  /* bytes one /mcp answer may reach */
    ngx_http_complex_value_t  *dashboard_user;   /* asgard_dashboard_user: the SSO user; NULL: none */
} ngx_http_asgard_loc_conf_t;

typedef enum {
    NGX_HTTP_ASGARD_AUTH_START = 0,
    NGX_HTTP_ASGARD_AUTH_WAITING,
    NGX_HTTP_ASGARD_AUTH_DONE
} ngx_http_asgard_auth_state_e;

typedef enum {
    NGX_HTTP_ASGARD_GW_START = 0,
    NGX_HTTP_ASGARD_GW_READING_BODY,
    NGX_HTTP_ASGARD_GW_RESERVING,
    NGX_HTTP_ASGARD_GW_PROXYING
} ngx_http_asgard_gateway_state_e;

typedef struct {
    ngx_http_asgard_auth_state_e     auth_state;
    u_char                           digest[32];
    asg_principal_t                  principal;
    ngx_str_t                        body;
    ngx_http_asgard_gateway_state_e  gateway_state;
    int                              route;     /* ASG_ROUTE_* of a gateway call */
    asg_gateway_call_t              *call;
    asg_gateway_verdict_t           *verdict;  /* headers to add to the proxied answer */
    ngx_chain_t                     *held;     /* a non-streamed answer, held until it is whole */
    ngx_chain_t                    **held_last;
    size_t                           held_size;
    ngx_chain_t                     *stream_free;  /* a rewritten stream's buffers, for reuse */
    ngx_chain_t                     *stream_busy;
    unsigned                         response_started:1;
    unsigned                         holding:1;
    unsigned                         rewriting:1;  /* a 2xx stream, passed on as the core rewrites it */
} ngx_http_asgard_ctx_t;

extern ngx_module_t  ngx_http_asgard_module;

/* ngx_http_asgard_module.c */
/* Arms a worker-owned timer event: its data is a dummy connection (fd -1), because nginx's debug
 * log reads ((ngx_connection_t *) ev->data)->fd in ngx_add_timer and ngx_del_timer. */
ngx_int_t ngx_http_asgard_parse_zone(ngx_conf_t *cf, ngx_str_t *arg, ngx_str_t *name,
    ssize_t *size);
void ngx_http_asgard_timer_init(ngx_event_t *ev, ngx_event_handler_pt handler, ngx_log_t *log);

/* ngx_http_asgard_auth.c */
ngx_int_t ngx_http_asgard_access_handler(ngx_http_request_t *r);
void ngx_http_asgard_note_token_use(int64_t token_id);
void ngx_http_asgard_flush_token_use(ngx_cycle_t *cycle);

/* ngx_http_asgard_auth_limit.c */
#define NGX_HTTP_ASGARD_AUTH_LIMIT_FAILURES  20
#define NGX_HTTP_ASGARD_AUTH_LIMIT_WINDOW    60000
char *ngx_http_asgard_auth_failure_limit(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
ngx_shm_zone_t *ngx_http_asgard_auth_limit_zone(ngx_conf_t *cf, ngx_str_t *name, size_t size,
    ngx_uint_t failures, ngx_msec_t window);
/* A failed authentication (a token presented and refused) from the request's address. */
void ngx_http_asgard_auth_limit_failed(ngx_http_request_t *r);
/* PostgreSQL found this token valid: its look-ups are never refused. */
void ngx_http_asgard_auth_limit_succeeded(ngx_http_request_t *r, const u_char digest[32]);
/* NGX_OK: look the token up; NGX_BUSY: the address is over its limit (*retry_after seconds). */
ngx_int_t ngx_http_asgard_auth_limit_check(ngx_http_request_t *r, const u_char digest[32],
    time_t *retry_after);

/* ngx_http_asgard_dashboard.c */
ngx_int_t ngx_http_asgard_dashboard_handler(ngx_http_request_t *r);

/* ngx_http_asgard_gateway.c */
ngx_int_t ngx_http_asgard_gateway_access(ngx_http_request_t *r, ngx_http_asgard_ctx_t *ctx);
/* The API family of a gateway request's answers (ASG_API_*), 0 outside the gateway (/mcp). */
int ngx_http_asgard_gateway_api(ngx_http_request_t *r);
ngx_int_t ngx_http_asgard_gateway_models_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_asgard_gateway_add_variables(ngx_conf_t *cf);
void ngx_http_asgard_gateway_timers_start(ngx_cycle_t *cycle);
void ngx_http_asgard_gateway_timers_stop(void);
/* Worker exit: the outbox sent, hiredis's buffer written out (blocking, bounded). */
void ngx_http_asgard_gateway_flush_outbox(void);

/* ngx_http_asgard_redis.c */
typedef void (*ngx_http_asgard_redis_fn)(void *async_ctx, void *reply, void *data);
void ngx_http_asgard_redis_init(ngx_cycle_t *cycle, ngx_str_t *host, ngx_int_t port);
void ngx_http_asgard_redis_stop(void);
ngx_int_t ngx_http_asgard_redis_send(asg_redis_commands_t *cmds, ngx_http_asgard_redis_fn fn,
    void *data);
ngx_int_t ngx_http_asgard_redis_send_wire(const char *wire, size_t len, ngx_http_asgard_redis_fn fn,
    void *data);
ngx_uint_t ngx_http_asgard_redis_available(void);
/* Writes what hiredis has buffered (blocking, at most timeout ms): for worker exit. */
void ngx_http_asgard_redis_write_out(ngx_msec_t timeout);

/* ngx_http_asgard_usage_filter.c */
ngx_int_t ngx_http_asgard_usage_filter_init(ngx_conf_t *cf);
ngx_int_t ngx_http_asgard_request_id(ngx_http_request_t *r, ngx_str_t *id);
ngx_http_asgard_ctx_t *ngx_http_asgard_gateway_ctx_after_redirect(ngx_http_request_t *r);
void ngx_http_asgard_gateway_end_call(ngx_http_request_t *r, asg_gateway_call_t *call);

/* ngx_http_asgard_mcp.c */
ngx_int_t ngx_http_asgard_mcp_handler(ngx_http_request_t *r);

/* ngx_http_asgard_mcp_stream.c */
/* Keeps a session's event stream the core opened (GET /mcp); NGX_DONE, or the rc to finalize with. */
ngx_int_t ngx_http_asgard_mcp_listen(ngx_http_request_t *r, asg_mcp_response_t *out);

/* ngx_http_asgard_origin.c */
ngx_int_t ngx_http_asgard_check_origin_and_host(ngx_http_request_t *r,
    ngx_http_asgard_loc_conf_t *alcf);

/* ngx_http_asgard_thread_task.c */
typedef void (*ngx_http_asgard_task_work_pt)(void *data, ngx_log_t *log);
typedef void (*ngx_http_asgard_task_done_pt)(void *data);
/* Allocates a detached task of size bytes of context (returned), to fill and then post. */
void *ngx_http_asgard_detached_task(ngx_cycle_t *cycle, size_t size,
    ngx_http_asgard_task_work_pt work, ngx_http_asgard_task_done_pt done, ngx_thread_task_t **task);
/* Posts it to the Asgard thread pool; on failure its memory is released and NGX_ERROR returned. */
ngx_int_t ngx_http_asgard_detached_post(ngx_cycle_t *cycle, ngx_thread_task_t *task);
/* A request's task, waited for until asgard_io_timeout + a margin (the deadline). Its context
 * (size bytes, returned) is its own memory, not the request's: whatever the thread reads must be
 * copied into it. done runs on the request when the task is back in time (the request is
 * unblocked; the context is freed after done returns); expired answers the request when the
 * deadline comes first (returns the rc to finalize it with); forget frees what a task that comes
 * back after the deadline made. */
typedef struct ngx_http_asgard_request_task_s  ngx_http_asgard_request_task_t;
typedef void (*ngx_http_asgard_request_done_pt)(ngx_http_request_t *r, void *data);
typedef ngx_int_t (*ngx_http_asgard_request_expired_pt)(ngx_http_request_t *r);
void *ngx_http_asgard_request_task(ngx_http_request_t *r, size_t size,
    ngx_http_asgard_task_work_pt work, ngx_http_asgard_request_done_pt done,
    ngx_http_asgard_request_expired_pt expired, ngx_http_asgard_task_done_pt forget,
    ngx_http_asgard_request_task_t **task);
/* Posts it and blocks the request; on failure its memory is released and NGX_ERROR returned. */
ngx_int_t ngx_http_asgard_request_task_post(ngx_http_request_t *r,
    ngx_http_asgard_request_task_t *task);
ngx_msec_t ngx_http_asgard_task_deadline(ngx_http_request_t *r);

/* ngx_http_asgard_shm_cache.c */
char *ngx_http_asgard_cache_zone(ngx_conf_t *cf, ngx_str_t *name, size_t size);
ngx_int_t ngx_http_asgard_cache_get(ngx_shm_zone_t *zone, const u_char key[32],
    void *value, size_t len);
void ngx_http_asgard_cache_put(ngx_shm_zone_t *zone, const u_char key[32],
    const void *value, size_t len, ngx_msec_t ttl);

/* ngx_http_asgard_respond.c */
ngx_int_t ngx_http_asgard_read_body(ngx_http_request_t *r, ngx_http_client_body_handler_pt next,
    const char *too_large, size_t len);
ngx_int_t ngx_http_asgard_send_error(ngx_http_request_t *r, asg_http_error_t *err);
/* The request body in one buffer (from memory or its temporary file), followed by
 * ASG_BODY_PADDING zero bytes. */
ngx_int_t ngx_http_asgard_collect_body(ngx_http_request_t *r, ngx_str_t *body);
ngx_int_t ngx_http_asgard_send(ngx_http_request_t *r, ngx_uint_t status,
    const char *content_type, const char *body, size_t len);
ngx_table_elt_t *ngx_http_asgard_add_header(ngx_http_request_t *r, const char *name,
    const char *value);
/* The same without copying: name and value must live as long as the request (the pool, or a
 * verdict in it). */
ngx_table_elt_t *ngx_http_asgard_add_header_ref(ngx_http_request_t *r, const char *name,
    const char *value, size_t len);
ngx_str_t *ngx_http_asgard_find_header(ngx_http_request_t *r, const char *lowcase_name,
    size_t len);
int64_t ngx_http_asgard_now_ms(void);
/* After a write of a long answer: when nginx still holds part of it, handler runs as the socket
 * takes more (within send_timeout) and NGX_AGAIN is returned; when all is sent, the write timer and
 * handler are reset and NGX_OK returned; NGX_ERROR when the write event cannot be armed. */
ngx_int_t ngx_http_asgard_wait_to_send(ngx_http_request_t *r, ngx_http_event_handler_pt handler);
/* The data of the request's pool cleanup with this handler (a per-request state kept that way), or NULL. */
void *ngx_http_asgard_cleanup_data(ngx_http_request_t *r, ngx_pool_cleanup_pt handler);
void ngx_http_asgard_resume(ngx_http_request_t *r);
void ngx_http_asgard_task_finished(ngx_http_request_t *r);

#endif /* NGX_HTTP_ASGARD_MODULE_H */
