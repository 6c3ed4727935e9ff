/* The worker's asynchronous Redis connection: hiredis bound to nginx events (a connection object
 * on hiredis's socket, level-triggered read/write handlers), so the gateway's counters cost no
 * thread hop. Reconnects every second while it is lost; meanwhile callers are told it is not
 * there (the gateway answers 503, or fails open by setting). */
#include "ngx_http_asgard_module.h"

#include <poll.h>

#include <hiredis/async.h>


static redisAsyncContext  *ngx_http_asgard_redis_ctx;
static ngx_uint_t          ngx_http_asgard_redis_ready;
static time_t              ngx_http_asgard_redis_last_attempt;
static ngx_str_t           ngx_http_asgard_redis_host;
static ngx_int_t           ngx_http_asgard_redis_port;
static ngx_log_t          *ngx_http_asgard_redis_log;
static ngx_event_t         ngx_http_asgard_redis_retry;

static void ngx_http_asgard_redis_connect(void);


/* Lost or never made: try again every second until it is back, not at the next request. */
static void
ngx_http_asgard_redis_schedule_retry(void)
{
    if (!ngx_http_asgard_redis_retry.timer_set && !ngx_exiting && !ngx_quit && !ngx_terminate) {
        ngx_add_timer(&ngx_http_asgard_redis_retry, 1000);
    }
}


static void
ngx_http_asgard_redis_retry_handler(ngx_event_t *ev)
{
    if (ngx_http_asgard_redis_ctx == NULL) {
        ngx_http_asgard_redis_connect();
    }
}


static void
ngx_http_asgard_redis_read(ngx_event_t *ev)
{
    ngx_connection_t  *c = ev->data;

    redisAsyncHandleRead((redisAsyncContext *) c->data);
}


/* Set while hiredis writes: a write it could not finish asks for the socket's writability. */
static ngx_uint_t          ngx_http_asgard_redis_writing;


static void
ngx_http_asgard_redis_write(ngx_event_t *ev)
{
    ngx_connection_t  *c = ev->data;

    ngx_http_asgard_redis_writing = 1;
    redisAsyncHandleWrite((redisAsyncContext *) c->data);
    ngx_http_asgard_redis_writing = 0;
}


static void
ngx_http_asgard_redis_add_read(void *data)
{
    ngx_connection_t  *c = data;

    if (!c->read->active) {
        ngx_add_event(c->read, NGX_READ_EVENT, 0);
    }
}


static void
ngx_http_asgard_redis_del_read(void *data)
{
    ngx_connection_t  *c = data;

    if (c->read->active) {
        ngx_del_event(c->read, NGX_READ_EVENT, 0);
    }
}


/* hiredis has commands to write. Rather than wait for the socket's writability (two epoll_ctl
 * calls a command), the write is posted: it runs once at the end of this event loop iteration and
 * writes every command that the iteration's calls queued in one write(). Only a write that could
 * not finish (the socket's buffer full) waits for writability. */
static void
ngx_http_asgard_redis_add_write(void *data)
{
    ngx_connection_t  *c = data;

    if (ngx_http_asgard_redis_writing || !ngx_http_asgard_redis_ready) {
        /* Unfinished, or still connecting (the connect's end is the first writability). */
        if (!c->write->active) {
            ngx_add_event(c->write, NGX_WRITE_EVENT, 0);
        }
        return;
    }

    if (!c->write->active && !c->write->posted) {
        ngx_post_event(c->write, &ngx_posted_events);
    }
}


static void
ngx_http_asgard_redis_del_write(void *data)
{
    ngx_connection_t  *c = data;

    if (c->write->active) {
        ngx_del_event(c->write, NGX_WRITE_EVENT, 0);
    }

    if (c->write->posted) {
        ngx_delete_posted_event(c->write);
    }
}


/* hiredis is freeing its context (and will close the socket itself). */
static void
ngx_http_asgard_redis_cleanup(void *data)
{
    ngx_connection_t  *c = data;

    if (c->read->active) {
        ngx_del_event(c->read, NGX_READ_EVENT, 0);
    }

    if (c->write->active) {
        ngx_del_event(c->write, NGX_WRITE_EVENT, 0);
    }

    if (c->read->posted) {
        ngx_delete_posted_event(c->read);
    }

    if (c->write->posted) {
        ngx_delete_posted_event(c->write);
    }

    c->fd = (ngx_socket_t) -1;
    ngx_free_connection(c);
}


static void
ngx_http_asgard_redis_connected(const redisAsyncContext *ac, int status)
{
    if (status != REDIS_OK) {
        ngx_log_error(NGX_LOG_ERR, ngx_http_asgard_redis_log, 0,
                      "asgard: Redis connection failed: %s", ac->errstr);
        ngx_http_asgard_redis_ctx = NULL;   /* hiredis frees the context */
        ngx_http_asgard_redis_ready = 0;
        ngx_http_asgard_redis_schedule_retry();
        return;
    }

    ngx_http_asgard_redis_ready = 1;
}


static void
ngx_http_asgard_redis_disconnected(const redisAsyncContext *ac, int status)
{
    if (status != REDIS_OK) {
        ngx_log_error(NGX_LOG_ERR, ngx_http_asgard_redis_log, 0,
                      "asgard: Redis connection lost: %s", ac->errstr);
    }

    ngx_http_asgard_redis_ctx = NULL;
    ngx_http_asgard_redis_ready = 0;
    asg_gateway_counters_lost();
    ngx_http_asgard_redis_schedule_retry();
}


/* Worker exit: no more retries, and the connection closed (nginx alerts about a socket left open). */
void
ngx_http_asgard_redis_stop(void)
{
    if (ngx_http_asgard_redis_retry.timer_set) {
        ngx_del_timer(&ngx_http_asgard_redis_retry);
    }

    if (ngx_http_asgard_redis_ctx != NULL) {
        redisAsyncFree(ngx_http_asgard_redis_ctx);   /* its callbacks run; cleanup frees the connection */
        ngx_http_asgard_redis_ctx = NULL;
        ngx_http_asgard_redis_ready = 0;
    }
}


static void
ngx_http_asgard_redis_connect(void)
{
    ngx_connection_t   *c;
    redisAsyncContext  *ac;

    ngx_http_asgard_redis_last_attempt = ngx_time();

    ac = redisAsyncConnect((const char *) ngx_http_asgard_redis_host.data,
                           (int) ngx_http_asgard_redis_port);
    if (ac == NULL) {
        ngx_http_asgard_redis_schedule_retry();
        return;
    }

    if (ac->err) {
        ngx_log_error(NGX_LOG_ERR, ngx_http_asgard_redis_log, 0,
                      "asgard: Redis connection failed: %s", ac->errstr);
        redisAsyncFree(ac);
        ngx_http_asgard_redis_schedule_retry();
        return;
    }

    c = ngx_get_connection(ac->c.fd, ngx_http_asgard_redis_log);
    if (c == NULL) {
        redisAsyncFree(ac);
        ngx_http_asgard_redis_schedule_retry();
        return;
    }

    c->data = ac;
    c->read->handler = ngx_http_asgard_redis_read;
    c->write->handler = ngx_http_asgard_redis_write;
    c->read->log = ngx_http_asgard_redis_log;
    c->write->log = ngx_http_asgard_redis_log;

    ac->ev.data = c;
    ac->ev.addRead = ngx_http_asgard_redis_add_read;
    ac->ev.delRead = ngx_http_asgard_redis_del_read;
    ac->ev.addWrite = ngx_http_asgard_redis_add_write;
    ac->ev.delWrite = ngx_http_asgard_redis_del_write;
    ac->ev.cleanup = ngx_http_asgard_redis_cleanup;

    ngx_http_asgard_redis_ctx = ac;

    /* Setting the connect callback waits for the first write event: the end of connect(). */
    redisAsyncSetConnectCallback(ac, ngx_http_asgard_redis_connected);
    redisAsyncSetDisconnectCallback(ac, ngx_http_asgard_redis_disconnected);
}


void
ngx_http_asgard_redis_init(ngx_cycle_t *cycle, ngx_str_t *host, ngx_int_t port)
{
    ngx_http_asgard_redis_host = *host;
    ngx_http_asgard_redis_port = port;
    ngx_http_asgard_redis_log = cycle->log;

    ngx_http_asgard_timer_init(&ngx_http_asgard_redis_retry, ngx_http_asgard_redis_retry_handler,
                               cycle->log);
    ngx_http_asgard_redis_retry.cancelable = 1;

    ngx_http_asgard_redis_connect();
}


/* Sends commands; fn gets the last command's reply (NULL when the connection fails). Returns
 * NGX_DECLINED when there is no usable connection (the caller uses the thread pool instead). */
ngx_int_t
ngx_http_asgard_redis_send(asg_redis_commands_t *cmds, ngx_http_asgard_redis_fn fn, void *data)
{
    int  i;

    if (ngx_http_asgard_redis_ctx == NULL || !ngx_http_asgard_redis_ready) {
        if (ngx_http_asgard_redis_ctx == NULL
            && ngx_time() - ngx_http_asgard_redis_last_attempt >= 1)
        {
            ngx_http_asgard_redis_connect();
        }
        return NGX_DECLINED;
    }

    for (i = 0; i < cmds->count; i++) {
        if (redisAsyncFormattedCommand(ngx_http_asgard_redis_ctx,
                                       (i == cmds->count - 1) ? (redisCallbackFn *) fn : NULL,
                                       (i == cmds->count - 1) ? data : NULL,
                                       cmds->wire[i], cmds->wirelen[i])
            != REDIS_OK)
        {
            return i == 0 ? NGX_DECLINED : NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* Sends one command already in Redis's protocol; fn (may be NULL) gets its reply. NGX_DECLINED
 * when there is no usable connection or hiredis refuses it. */
ngx_int_t
ngx_http_asgard_redis_send_wire(const char *wire, size_t len, ngx_http_asgard_redis_fn fn, void *data)
{
    if (ngx_http_asgard_redis_ctx == NULL || !ngx_http_asgard_redis_ready) {
        return NGX_DECLINED;
    }

    if (redisAsyncFormattedCommand(ngx_http_asgard_redis_ctx, (redisCallbackFn *) fn, data, wire, len)
        != REDIS_OK)
    {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


void
ngx_http_asgard_redis_write_out(ngx_msec_t timeout)
{
    int             done;
    ngx_msec_t      waited;
    struct pollfd   pfd;
    redisContext   *c;

    if (ngx_http_asgard_redis_ctx == NULL || !ngx_http_asgard_redis_ready) {
        return;
    }

    c = &ngx_http_asgard_redis_ctx->c;
    done = 0;

    for (waited = 0; waited <= timeout; waited += 10) {
        if (redisBufferWrite(c, &done) == REDIS_ERR || done) {
            return;
        }

        pfd.fd = c->fd;
        pfd.events = POLLOUT;
        (void) poll(&pfd, 1, 10);
    }
}


ngx_uint_t
ngx_http_asgard_redis_available(void)
{
    return ngx_http_asgard_redis_ctx != NULL && ngx_http_asgard_redis_ready;
}
