/* Content handler for the dashboard's JSON API (asgard_dashboard_api): reads the body, lets the
 * core answer on the thread pool (every route reads PostgreSQL), then sends the answer with the
 * session cookie the core set and headers that keep it out of caches and other sites. */
#include "ngx_http_asgard_module.h"


typedef struct {
    asg_dashboard_request_t   in;
    asg_dashboard_response_t  out;
} ngx_http_asgard_dashboard_task_t;


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

    rc = ngx_http_asgard_send(r, out->http_status ? out->http_status : 500, "application/json",
                              out->body, out->body_len);
    asg_free(out->body);
    out->body = NULL;

    return rc;
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
    ngx_http_finalize_request(r, ngx_http_asgard_dashboard_respond(r, data));
}


static ngx_int_t
ngx_http_asgard_dashboard_expired(ngx_http_request_t *r)
{
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


static void
ngx_http_asgard_dashboard_process(ngx_http_request_t *r)
{
    u_char                            *p;
    size_t                             size, prefix;
    ngx_str_t                          body, *cookie, *host, *origin, *fetch_site, sso_user;
    ngx_http_core_loc_conf_t          *clcf;
    ngx_http_asgard_loc_conf_t        *alcf;
    ngx_http_asgard_request_task_t    *task;
    ngx_http_asgard_dashboard_task_t  *t;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_asgard_module);
    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

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
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    size = sizeof(ngx_http_asgard_dashboard_task_t) + r->method_name.len + (r->uri.len - prefix) + r->args.len
           + body.len + cookie->len + host->len + origin->len + fetch_site->len + sso_user.len;

    t = ngx_http_asgard_request_task(r, size, ngx_http_asgard_dashboard_thread,
                                     ngx_http_asgard_dashboard_done,
                                     ngx_http_asgard_dashboard_expired,
                                     ngx_http_asgard_dashboard_forget, &task);
    if (t == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_SERVICE_UNAVAILABLE);
        return;
    }

    ngx_memzero(t, sizeof(ngx_http_asgard_dashboard_task_t));

    /* Everything the thread reads is copied into the task's own memory. */
    p = (u_char *) (t + 1);
    p = ngx_http_asgard_dashboard_copy(p, &t->in.method, r->method_name.data, r->method_name.len);
    p = ngx_http_asgard_dashboard_copy(p, &t->in.path, r->uri.data + prefix, r->uri.len - prefix);
    p = ngx_http_asgard_dashboard_copy(p, &t->in.query, r->args.data, r->args.len);
    p = ngx_http_asgard_dashboard_copy(p, &t->in.body, body.data, body.len);
    p = ngx_http_asgard_dashboard_copy(p, &t->in.cookie, cookie->data, cookie->len);
    p = ngx_http_asgard_dashboard_copy(p, &t->in.host, host->data, host->len);
    p = ngx_http_asgard_dashboard_copy(p, &t->in.origin, origin->data, origin->len);
    p = ngx_http_asgard_dashboard_copy(p, &t->in.fetch_site, fetch_site->data, fetch_site->len);
    (void) ngx_http_asgard_dashboard_copy(p, &t->in.sso_user, sso_user.data, sso_user.len);

    t->in.csrf_header = ngx_http_asgard_find_header(r, "x-asgard-dashboard",
                                                    sizeof("x-asgard-dashboard") - 1) != NULL;
    t->in.loopback = ngx_http_asgard_dashboard_loopback(r);

    if (ngx_http_asgard_request_task_post(r, task) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_SERVICE_UNAVAILABLE);
    }
}


ngx_int_t
ngx_http_asgard_dashboard_handler(ngx_http_request_t *r)
{
    return ngx_http_asgard_read_body(r, ngx_http_asgard_dashboard_process, ngx_http_asgard_dashboard_too_large,
                                     sizeof(ngx_http_asgard_dashboard_too_large) - 1);
}
