/* Content handler for the dashboard's JSON API (asgard_dashboard_api): reads the body, lets the
 * core answer on the thread pool (every route reads PostgreSQL), then sends the answer with the
 * session cookie the core set and headers that keep it out of caches and other sites. A streamed
 * answer (a CSV export) comes from the core in parts: each part is written out, and only once
 * nginx has sent all of it is the next part asked for, so a worker holds one part at a time. */
#include "ngx_http_asgard_module.h"


typedef struct {
    asg_dashboard_request_t   in;
    asg_dashboard_response_t  out;
} ngx_http_asgard_dashboard_task_t;


/* A streamed answer's state, in a cleanup of the request's pool (found again by its handler): the
 * part being written (the core's memory) and where the next part begins. */
typedef struct {
    char     *part;                                     /* asg_free once written, or by the cleanup */
    u_char    cursor[sizeof(((asg_dashboard_response_t *) 0)->next_cursor)];
    size_t    cursor_len;
} ngx_http_asgard_dashboard_stream_t;


static ngx_int_t ngx_http_asgard_dashboard_post(ngx_http_request_t *r, ngx_str_t *body,
    u_char *cursor, size_t cursor_len);
static void ngx_http_asgard_dashboard_stream_next(ngx_http_request_t *r,
    ngx_http_asgard_dashboard_stream_t *s);


static const char ngx_http_asgard_dashboard_too_large[] =
    "{\"error\":{\"code\":\"body_too_large\",\"message\":\"the request body exceeds asgard_max_body_size\"}}";

static const char ngx_http_asgard_dashboard_late[] =
    "{\"error\":{\"code\":\"database_unavailable\",\"message\":\"Asgard's database did not answer "
    "within asgard_io_timeout; try again shortly\"}}";


static ngx_int_t
ngx_http_asgard_dashboard_headers(ngx_http_request_t *r)
{
    if (ngx_http_asgard_add_header(r, "Cache-Control", "no-store") == NULL
        || ngx_http_asgard_add_header(r, "X-Content-Type-Options", "nosniff") == NULL
        || ngx_http_asgard_add_header(r, "Referrer-Policy", "no-referrer") == NULL)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_asgard_dashboard_respond(ngx_http_request_t *r, ngx_http_asgard_dashboard_task_t *t)
{
    ngx_int_t                  rc;
    asg_dashboard_response_t  *out = &t->out;

    if (out->log_line[0] != '\0') {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0, "%s", out->log_line);
    }

    if (ngx_http_asgard_dashboard_headers(r) != NGX_OK
        || (out->set_cookie[0] != '\0'
            && ngx_http_asgard_add_header(r, "Set-Cookie", out->set_cookie) == NULL))
    {
        asg_free(out->body);
        out->body = NULL;
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (out->content_disposition[0] != '\0'
        && ngx_http_asgard_add_header(r, "Content-Disposition", out->content_disposition) == NULL)
    {
        asg_free(out->body);
        out->body = NULL;
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_asgard_send(r, out->http_status ? out->http_status : 500,
                              out->content_type[0] ? out->content_type : "application/json",
                              out->body, out->body_len);
    asg_free(out->body);
    out->body = NULL;

    return rc;
}


static void
ngx_http_asgard_dashboard_stream_cleanup(void *data)
{
    ngx_http_asgard_dashboard_stream_t  *s = data;

    asg_free(s->part);
    s->part = NULL;
}


static ngx_http_asgard_dashboard_stream_t *
ngx_http_asgard_dashboard_stream_of(ngx_http_request_t *r)
{
    return ngx_http_asgard_cleanup_data(r, ngx_http_asgard_dashboard_stream_cleanup);
}


/* Waits until nginx has written the part out, then asks for the next. */
static void
ngx_http_asgard_dashboard_stream_writer(ngx_http_request_t *r)
{
    ngx_event_t                         *wev;
    ngx_connection_t                    *c;
    ngx_http_asgard_dashboard_stream_t  *s;

    c = r->connection;
    wev = c->write;

    if (wev->timedout) {
        ngx_log_error(NGX_LOG_INFO, c->log, NGX_ETIMEDOUT, "asgard: client timed out during a CSV export");
        c->timedout = 1;
        ngx_http_finalize_request(r, NGX_HTTP_REQUEST_TIME_OUT);
        return;
    }

    if (ngx_http_output_filter(r, NULL) == NGX_ERROR) {
        ngx_http_finalize_request(r, NGX_ERROR);
        return;
    }

    s = ngx_http_asgard_dashboard_stream_of(r);
    if (s == NULL) {
        ngx_http_finalize_request(r, NGX_ERROR);
        return;
    }

    ngx_http_asgard_dashboard_stream_next(r, s);
}


static void
ngx_http_asgard_dashboard_stream_next(ngx_http_request_t *r, ngx_http_asgard_dashboard_stream_t *s)
{
    ngx_int_t          rc;
    ngx_str_t          none = ngx_null_string;
    ngx_connection_t  *c = r->connection;

    /* While part of it is still nginx's to write, the part's memory stays. */
    rc = ngx_http_asgard_wait_to_send(r, ngx_http_asgard_dashboard_stream_writer);
    if (rc == NGX_ERROR) {
        ngx_http_finalize_request(r, NGX_ERROR);
    }
    if (rc != NGX_OK) {
        return;
    }

    asg_free(s->part);
    s->part = NULL;

    if (ngx_http_asgard_dashboard_post(r, &none, s->cursor, s->cursor_len) != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, c->log, 0, "asgard: a CSV export's next part could not be queued: the answer is cut");
        ngx_http_finalize_request(r, NGX_ERROR);
    }
}


/* One part of a streamed answer: the first sends the headers (no length: chunked). */
static void
ngx_http_asgard_dashboard_stream(ngx_http_request_t *r, ngx_http_asgard_dashboard_task_t *t)
{
    size_t                               len;
    ngx_int_t                            rc;
    ngx_uint_t                           last;
    ngx_buf_t                           *b;
    ngx_chain_t                          out;
    ngx_pool_cleanup_t                  *cln;
    asg_dashboard_response_t            *res = &t->out;
    ngx_http_asgard_dashboard_stream_t  *s;

    if (res->log_line[0] != '\0') {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0, "%s", res->log_line);
    }

    if (t->in.cursor.len == 0) {
        cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_http_asgard_dashboard_stream_t));
        if (cln == NULL || ngx_http_asgard_dashboard_headers(r) != NGX_OK
            || (res->content_disposition[0] != '\0'
                && ngx_http_asgard_add_header(r, "Content-Disposition", res->content_disposition) == NULL))
        {
            asg_free(res->body);
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }
        s = cln->data;
        ngx_memzero(s, sizeof(ngx_http_asgard_dashboard_stream_t));
        cln->handler = ngx_http_asgard_dashboard_stream_cleanup;

        len = ngx_strlen(res->content_type);
        r->headers_out.content_type.data = ngx_pnalloc(r->pool, len);
        if (r->headers_out.content_type.data == NULL) {
            asg_free(res->body);
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }
        ngx_memcpy(r->headers_out.content_type.data, res->content_type, len);
        r->headers_out.content_type.len = len;
        r->headers_out.content_type_len = len;
        r->headers_out.status = res->http_status;
        r->headers_out.content_length_n = -1;

        rc = ngx_http_send_header(r);
        if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
            asg_free(res->body);
            ngx_http_finalize_request(r, rc);
            return;
        }

    } else {
        s = ngx_http_asgard_dashboard_stream_of(r);
        if (s == NULL || res->http_status != NGX_HTTP_OK) {
            /* The status went out with the first part: all that is left is to cut the answer. */
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "asgard: a CSV export's part failed (status %d): the answer is cut", res->http_status);
            asg_free(res->body);
            ngx_http_finalize_request(r, NGX_ERROR);
            return;
        }
    }

    s->part = res->body;
    res->body = NULL;
    s->cursor_len = ngx_strlen(res->next_cursor);
    ngx_memcpy(s->cursor, res->next_cursor, s->cursor_len);

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        ngx_http_finalize_request(r, NGX_ERROR);
        return;
    }
    if (res->body_len > 0) {
        b->pos = (u_char *) s->part;
        b->last = b->pos + res->body_len;
        b->memory = 1;
    }
    last = (s->cursor_len == 0);
    b->flush = 1;
    b->last_buf = last;
    b->last_in_chain = 1;
    out.buf = b;
    out.next = NULL;

    /* (The chunked filter clears b->last_buf when it adds its own last chunk.) */
    rc = ngx_http_output_filter(r, &out);

    if (rc == NGX_ERROR || last) {
        /* The last part: nginx writes what is left; the cleanup frees the part after. */
        ngx_http_finalize_request(r, rc);
        return;
    }

    ngx_http_asgard_dashboard_stream_next(r, s);
}


static void
ngx_http_asgard_dashboard_thread(void *data, ngx_log_t *log)
{
    ngx_http_asgard_dashboard_task_t  *t = data;

    asg_dashboard_handle(&t->in, &t->out);
}


static void
ngx_http_asgard_dashboard_done(ngx_http_request_t *r, void *data)
{
    ngx_http_asgard_dashboard_task_t  *t = data;

    if (t->in.cursor.len > 0 || t->out.next_cursor[0] != '\0') {
        ngx_http_asgard_dashboard_stream(r, t);
        return;
    }

    ngx_http_finalize_request(r, ngx_http_asgard_dashboard_respond(r, data));
}


static ngx_int_t
ngx_http_asgard_dashboard_expired(ngx_http_request_t *r)
{
    if (r->header_sent) {
        /* A streamed answer's later part: its status went out long ago. */
        return NGX_ERROR;
    }

    if (ngx_http_asgard_dashboard_headers(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_asgard_send(r, NGX_HTTP_SERVICE_UNAVAILABLE, "application/json",
                                ngx_http_asgard_dashboard_late,
                                sizeof(ngx_http_asgard_dashboard_late) - 1);
}


/* The task came back after its request was answered: what the core made is not needed. */
static void
ngx_http_asgard_dashboard_forget(void *data)
{
    ngx_http_asgard_dashboard_task_t  *t = data;

    asg_free(t->out.body);
}


static u_char *
ngx_http_asgard_dashboard_copy(u_char *p, asg_str_t *dst, u_char *data, size_t len)
{
    dst->data = (const char *) p;
    dst->len = len;

    return len ? ngx_cpymem(p, data, len) : p;
}


static ngx_str_t *
ngx_http_asgard_dashboard_header(ngx_http_request_t *r, const char *name, size_t len)
{
    static ngx_str_t  none = ngx_null_string;
    ngx_str_t        *v;

    v = ngx_http_asgard_find_header(r, name, len);

    return v ? v : &none;
}


/* Whether the connection reached a loopback address (the cookie may then go without Secure). */
static ngx_uint_t
ngx_http_asgard_dashboard_loopback(ngx_http_request_t *r)
{
    struct sockaddr_in   *sin;
#if (NGX_HAVE_INET6)
    struct sockaddr_in6  *sin6;
#endif

    if (ngx_connection_local_sockaddr(r->connection, NULL, 0) != NGX_OK) {
        return 0;
    }

    switch (r->connection->local_sockaddr->sa_family) {

    case AF_INET:
        sin = (struct sockaddr_in *) r->connection->local_sockaddr;
        return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;

#if (NGX_HAVE_INET6)
    case AF_INET6:
        sin6 = (struct sockaddr_in6 *) r->connection->local_sockaddr;
        return IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr);
#endif

    default:
        return 0;
    }
}


/* Queues the core's work for this request: the first part, or (cursor) a streamed answer's next. */
static ngx_int_t
ngx_http_asgard_dashboard_post(ngx_http_request_t *r, ngx_str_t *body, u_char *cursor, size_t cursor_len)
{
    u_char                            *p;
    size_t                             size, prefix;
    ngx_str_t                         *cookie, *host, *origin, *fetch_site, sso_user;
    ngx_http_core_loc_conf_t          *clcf;
    ngx_http_asgard_loc_conf_t        *alcf;
    ngx_http_asgard_request_task_t    *task;
    ngx_http_asgard_dashboard_task_t  *t;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_asgard_module);
    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    /* The route: the URI below the location's prefix, with its leading "/". */
    prefix = clcf->name.len;
    if (prefix > 0 && clcf->name.data[prefix - 1] == '/') {
        prefix--;
    }
    if (prefix > r->uri.len) {
        prefix = r->uri.len;
    }

    cookie = ngx_http_asgard_dashboard_header(r, "cookie", 6);
    host = ngx_http_asgard_dashboard_header(r, "host", 4);
    origin = ngx_http_asgard_dashboard_header(r, "origin", 6);
    fetch_site = ngx_http_asgard_dashboard_header(r, "sec-fetch-site", 14);

    ngx_str_null(&sso_user);
    if (alcf->dashboard_user != NULL
        && ngx_http_complex_value(r, alcf->dashboard_user, &sso_user) != NGX_OK)
    {
        return NGX_ERROR;
    }

    size = sizeof(ngx_http_asgard_dashboard_task_t) + r->method_name.len + (r->uri.len - prefix) + r->args.len
           + body->len + cookie->len + host->len + origin->len + fetch_site->len + sso_user.len + cursor_len;

    t = ngx_http_asgard_request_task(r, size, ngx_http_asgard_dashboard_thread,
                                     ngx_http_asgard_dashboard_done,
                                     ngx_http_asgard_dashboard_expired,
                                     ngx_http_asgard_dashboard_forget, &task);
    if (t == NULL) {
        return NGX_ERROR;
    }

    ngx_memzero(t, sizeof(ngx_http_asgard_dashboard_task_t));

    /* Everything the thread reads is copied into the task's own memory. */
    p = (u_char *) (t + 1);
    p = ngx_http_asgard_dashboard_copy(p, &t->in.method, r->method_name.data, r->method_name.len);
    p = ngx_http_asgard_dashboard_copy(p, &t->in.path, r->uri.data + prefix, r->uri.len - prefix);
    p = ngx_http_asgard_dashboard_copy(p, &t->in.query, r->args.data, r->args.len);
    p = ngx_http_asgard_dashboard_copy(p, &t->in.body, body->data, body->len);
    p = ngx_http_asgard_dashboard_copy(p, &t->in.cookie, cookie->data, cookie->len);
    p = ngx_http_asgard_dashboard_copy(p, &t->in.host, host->data, host->len);
    p = ngx_http_asgard_dashboard_copy(p, &t->in.origin, origin->data, origin->len);
    p = ngx_http_asgard_dashboard_copy(p, &t->in.fetch_site, fetch_site->data, fetch_site->len);
    p = ngx_http_asgard_dashboard_copy(p, &t->in.sso_user, sso_user.data, sso_user.len);
    (void) ngx_http_asgard_dashboard_copy(p, &t->in.cursor, cursor, cursor_len);

    t->in.csrf_header = ngx_http_asgard_find_header(r, "x-asgard-dashboard",
                                                    sizeof("x-asgard-dashboard") - 1) != NULL;
    t->in.loopback = ngx_http_asgard_dashboard_loopback(r);

    return ngx_http_asgard_request_task_post(r, task);
}


static void
ngx_http_asgard_dashboard_process(ngx_http_request_t *r)
{
    ngx_str_t                    body;
    ngx_http_asgard_loc_conf_t  *alcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_asgard_module);

    if (ngx_http_asgard_collect_body(r, &body) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    if (body.len > alcf->max_body_size) {
        ngx_http_finalize_request(r, ngx_http_asgard_send(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
            "application/json", ngx_http_asgard_dashboard_too_large,
            sizeof(ngx_http_asgard_dashboard_too_large) - 1));
        return;
    }

    if (ngx_http_asgard_dashboard_post(r, &body, NULL, 0) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_SERVICE_UNAVAILABLE);
    }
}


ngx_int_t
ngx_http_asgard_dashboard_handler(ngx_http_request_t *r)
{
    return ngx_http_asgard_read_body(r, ngx_http_asgard_dashboard_process, ngx_http_asgard_dashboard_too_large,
                                     sizeof(ngx_http_asgard_dashboard_too_large) - 1);
}
