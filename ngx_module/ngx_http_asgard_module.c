/* The Asgard module: directives, configuration, phase registration and per-worker start-up. */
#include "ngx_http_asgard_module.h"


static void *ngx_http_asgard_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_asgard_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_asgard_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_asgard_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child);
static ngx_int_t ngx_http_asgard_postconfiguration(ngx_conf_t *cf);
static ngx_int_t ngx_http_asgard_init_process(ngx_cycle_t *cycle);
static void ngx_http_asgard_exit_process(ngx_cycle_t *cycle);
static char *ngx_http_asgard_redis(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_http_asgard_token_cache(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_http_asgard_mcp(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_http_asgard_dashboard_api(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_http_asgard_gateway(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static ngx_int_t ngx_http_asgard_preconfiguration(ngx_conf_t *cf);
static char *ngx_http_asgard_str_list(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_http_asgard_check_response_size(ngx_conf_t *cf, void *post, void *data);


static ngx_conf_num_bounds_t  ngx_http_asgard_mcp_max_batch_bounds = {
    ngx_conf_check_num_bounds, 1, -1
};

static ngx_conf_post_t  ngx_http_asgard_mcp_max_response_size_bounds = {
    ngx_http_asgard_check_response_size
};

/* Under nginx's prefix, created by the master with the worker user's ownership (ngx_create_paths). */
static ngx_path_init_t  ngx_http_asgard_spool_path = {
    ngx_string("asgard_spool"), { 0, 0, 0 }
};


static ngx_command_t  ngx_http_asgard_commands[] = {

    { ngx_string("asgard_database"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_asgard_main_conf_t, database_url),
      NULL },

    { ngx_string("asgard_redis"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_asgard_redis,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("asgard_master_key_file"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_asgard_main_conf_t, master_key_file),
      NULL },

    { ngx_string("asgard_thread_pool"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_asgard_main_conf_t, thread_pool_name),
      NULL },

    { ngx_string("asgard_token_cache"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE12,
      ngx_http_asgard_token_cache,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("asgard_session_ttl"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_asgard_main_conf_t, session_ttl),
      NULL },

    { ngx_string("asgard_spool_path"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_path_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_asgard_main_conf_t, spool_path),
      NULL },

    { ngx_string("asgard_mcp_stream_keepalive"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_asgard_main_conf_t, stream_keepalive),
      NULL },

    { ngx_string("asgard_io_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_asgard_main_conf_t, io_timeout),
      NULL },

    { ngx_string("asgard_allowed_origins"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_asgard_str_list,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_asgard_loc_conf_t, allowed_origins),
      NULL },

    { ngx_string("asgard_allowed_hosts"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_asgard_str_list,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_asgard_loc_conf_t, allowed_hosts),
      NULL },

    { ngx_string("asgard_max_body_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_asgard_loc_conf_t, max_body_size),
      NULL },

    { ngx_string("asgard_auth_failure_limit"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE123,
      ngx_http_asgard_auth_failure_limit,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },
    { ngx_string("asgard_mcp_max_batch"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_asgard_loc_conf_t, mcp_max_batch),
      &ngx_http_asgard_mcp_max_batch_bounds },

    { ngx_string("asgard_mcp_max_response_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_asgard_loc_conf_t, mcp_max_response_size),
      &ngx_http_asgard_mcp_max_response_size_bounds },

    { ngx_string("asgard_mcp"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_asgard_mcp,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("asgard_dashboard_api"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_asgard_dashboard_api,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    /* The person the organisation's single sign-on (auth_request to oauth2-proxy, Authelia,
     * Pomerium...) says this is, e.g. $upstream_http_x_auth_request_user: never a header the
     * client sent. Empty: nobody (the session cookie decides). */
    { ngx_string("asgard_dashboard_user"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_asgard_loc_conf_t, dashboard_user),
      NULL },

    { ngx_string("asgard_gateway"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_asgard_gateway,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("asgard_gateway_models"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_asgard_gateway,
      NGX_HTTP_LOC_CONF_OFFSET,
      1,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_asgard_module_ctx = {
    ngx_http_asgard_preconfiguration,      /* preconfiguration */
    ngx_http_asgard_postconfiguration,     /* postconfiguration */

    ngx_http_asgard_create_main_conf,      /* create main configuration */
    ngx_http_asgard_init_main_conf,        /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_asgard_create_loc_conf,       /* create location configuration */
    ngx_http_asgard_merge_loc_conf         /* merge location configuration */
};


ngx_module_t  ngx_http_asgard_module = {
    NGX_MODULE_V1,
    &ngx_http_asgard_module_ctx,           /* module context */
    ngx_http_asgard_commands,              /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_asgard_init_process,          /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_asgard_exit_process,          /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_event_t  ngx_http_asgard_touch_timer;
static ngx_msec_t   ngx_http_asgard_touch_interval;

/* The data of every timer the module owns, as nginx-otel does for its flush timer. */
static ngx_connection_t  ngx_http_asgard_timer_connection = { .fd = (ngx_socket_t) -1 };

/* Read by "asgard doctor" from the .so file to compare with the executable's version. */
__attribute__((used)) static const char  ngx_http_asgard_version_tag[] =
    "asgard-module-version=" ASG_VERSION ";";


static void *
ngx_http_asgard_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_asgard_main_conf_t  *amcf;

    amcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_asgard_main_conf_t));
    if (amcf == NULL) {
        return NULL;
    }

    amcf->redis_port = NGX_CONF_UNSET;
    amcf->cache_ttl = NGX_CONF_UNSET_MSEC;
    amcf->session_ttl = NGX_CONF_UNSET_MSEC;
    amcf->io_timeout = NGX_CONF_UNSET_MSEC;
    amcf->touch_interval = NGX_CONF_UNSET_MSEC;
    amcf->stream_keepalive = NGX_CONF_UNSET_MSEC;

    return amcf;
}


static char *
ngx_http_asgard_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_asgard_main_conf_t *amcf = conf;

    char    err[256];
    size_t  len;

    ngx_conf_init_value(amcf->redis_port, 6379);
    ngx_conf_init_msec_value(amcf->cache_ttl, 10000);
    ngx_conf_init_msec_value(amcf->session_ttl, 24 * 3600 * 1000);
    ngx_conf_init_msec_value(amcf->io_timeout, 5000);
    ngx_conf_init_msec_value(amcf->touch_interval, 30000);
    ngx_conf_init_msec_value(amcf->stream_keepalive, 25000);

    if (amcf->redis_host.len == 0) {
        ngx_str_set(&amcf->redis_host, "127.0.0.1");
    }

    if (amcf->thread_pool_name.len == 0) {
        ngx_str_set(&amcf->thread_pool_name, "asgard");
    }

    if (!amcf->used) {
        return NGX_CONF_OK;
    }

    if (amcf->database_url.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "asgard: \"asgard_database\" is required where asgard_mcp is used");
        return NGX_CONF_ERROR;
    }

    if (amcf->master_key_file.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "asgard: \"asgard_master_key_file\" is required where asgard_mcp is used");
        return NGX_CONF_ERROR;
    }

    len = 4096;
    amcf->master_key.data = ngx_pnalloc(cf->pool, len);
    if (amcf->master_key.data == NULL) {
        return NGX_CONF_ERROR;
    }

    if (asg_master_key_load((const char *) amcf->master_key_file.data,
                            (char *) amcf->master_key.data, &len, err, sizeof(err)) != 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "asgard: %s", err);
        return NGX_CONF_ERROR;
    }

    amcf->master_key.len = len;

    if (amcf->cache_zone == NULL) {
        ngx_str_t  name = ngx_string("asgard_tokens");

        if (ngx_http_asgard_cache_zone(cf, &name, 10 * 1024 * 1024) != NGX_CONF_OK) {
            return NGX_CONF_ERROR;
        }
    }

    if (amcf->gateway_used
        && ngx_conf_merge_path_value(cf, &amcf->spool_path, NULL, &ngx_http_asgard_spool_path)
           != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    amcf->thread_pool = ngx_thread_pool_add(cf, &amcf->thread_pool_name);
    if (amcf->thread_pool == NULL) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static void *
ngx_http_asgard_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_asgard_loc_conf_t  *alcf;

    alcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_asgard_loc_conf_t));
    if (alcf == NULL) {
        return NULL;
    }

    alcf->mcp = NGX_CONF_UNSET;
    alcf->gateway = NGX_CONF_UNSET;
    alcf->gateway_models = NGX_CONF_UNSET;
    alcf->allowed_origins = NGX_CONF_UNSET_PTR;
    alcf->allowed_hosts = NGX_CONF_UNSET_PTR;
    alcf->max_body_size = NGX_CONF_UNSET_SIZE;
    alcf->auth_limit_zone = NGX_CONF_UNSET_PTR;
    alcf->mcp_max_batch = NGX_CONF_UNSET;
    alcf->mcp_max_response_size = NGX_CONF_UNSET_SIZE;
    alcf->dashboard_user = NGX_CONF_UNSET_PTR;

    return alcf;
}


static char *
ngx_http_asgard_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_asgard_loc_conf_t *prev = parent;
    ngx_http_asgard_loc_conf_t *conf = child;

    ngx_http_asgard_main_conf_t  *amcf;

    ngx_conf_merge_value(conf->mcp, prev->mcp, 0);
    ngx_conf_merge_value(conf->gateway, prev->gateway, 0);
    ngx_conf_merge_value(conf->gateway_models, prev->gateway_models, 0);
    ngx_conf_merge_ptr_value(conf->allowed_origins, prev->allowed_origins, NULL);
    ngx_conf_merge_ptr_value(conf->allowed_hosts, prev->allowed_hosts, NULL);
    ngx_conf_merge_ptr_value(conf->dashboard_user, prev->dashboard_user, NULL);
    ngx_conf_merge_size_value(conf->max_body_size, prev->max_body_size, 1024 * 1024);
    ngx_conf_merge_value(conf->mcp_max_batch, prev->mcp_max_batch, 100);
    ngx_conf_merge_size_value(conf->mcp_max_response_size, prev->mcp_max_response_size,
                              8 * 1024 * 1024);

    /* Unset stays unset down to a location that runs Asgard, which gets the default zone. */
    if (conf->auth_limit_zone == NGX_CONF_UNSET_PTR) {
        conf->auth_limit_zone = prev->auth_limit_zone;
    }

    if (conf->auth_limit_zone == NGX_CONF_UNSET_PTR
        && (conf->mcp || conf->gateway || conf->gateway_models))
    {
        amcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_asgard_module);

        if (amcf->auth_limit_default == NULL) {
            ngx_str_t  name = ngx_string("asgard_auth_failures_default");

            amcf->auth_limit_default = ngx_http_asgard_auth_limit_zone(cf, &name, 1024 * 1024,
                                           NGX_HTTP_ASGARD_AUTH_LIMIT_FAILURES,
                                           NGX_HTTP_ASGARD_AUTH_LIMIT_WINDOW);
            if (amcf->auth_limit_default == NULL) {
                return NGX_CONF_ERROR;
            }
        }

        conf->auth_limit_zone = amcf->auth_limit_default;
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_asgard_preconfiguration(ngx_conf_t *cf)
{
    return ngx_http_asgard_gateway_add_variables(cf);
}


static ngx_int_t
ngx_http_asgard_postconfiguration(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_asgard_access_handler;

    return ngx_http_asgard_usage_filter_init(cf);
}


static char *
ngx_http_asgard_redis(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_asgard_main_conf_t *amcf = conf;

    u_char     *colon;
    ngx_str_t  *value;
    ngx_int_t   port;

    value = cf->args->elts;
    colon = ngx_strlchr(value[1].data, value[1].data + value[1].len, ':');

    if (colon == NULL) {
        amcf->redis_host = value[1];
        goto check_ip;
    }

    amcf->redis_host.data = value[1].data;
    amcf->redis_host.len = colon - value[1].data;
    amcf->redis_host.data[amcf->redis_host.len] = '\0';

    port = ngx_atoi(colon + 1, value[1].data + value[1].len - colon - 1);
    if (port <= 0 || port > 65535 || amcf->redis_host.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "asgard_redis needs \"IP:PORT\", not \"%V\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    amcf->redis_port = port;

check_ip:

    /* The asynchronous connect must not resolve names on the event loop: an IP literal only. */
    if (ngx_inet_addr(amcf->redis_host.data, amcf->redis_host.len) == INADDR_NONE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "asgard_redis needs an IPv4 address, not the name \"%V\"",
                           &amcf->redis_host);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* asgard_token_cache zone=NAME:SIZE [ttl=TIME]; */
/* "zone=NAME:SIZE" of a directive's shared-memory zone; logs what is wrong with it. */
ngx_int_t
ngx_http_asgard_parse_zone(ngx_conf_t *cf, ngx_str_t *arg, ngx_str_t *name, ssize_t *size)
{
    u_char     *p;
    ngx_str_t   s;
    ngx_str_t  *directive = &((ngx_str_t *) cf->args->elts)[0];

    name->data = arg->data + 5;
    p = (u_char *) ngx_strlchr(name->data, arg->data + arg->len, ':');
    if (p == NULL || p == name->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "%V: invalid \"%V\" (zone=NAME:SIZE)", directive, arg);
        return NGX_ERROR;
    }
    name->len = p - name->data;
    s.data = p + 1;
    s.len = arg->data + arg->len - s.data;
    *size = ngx_parse_size(&s);
    if (*size == NGX_ERROR || *size < (ssize_t) (8 * ngx_pagesize)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "%V zone \"%V\" is too small", directive, arg);
        return NGX_ERROR;
    }
    return NGX_OK;
}


static char *
ngx_http_asgard_token_cache(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_asgard_main_conf_t *amcf = conf;

    ssize_t      size;
    ngx_str_t   *value, name, s;
    ngx_msec_t   ttl;
    ngx_uint_t   i;

    value = cf->args->elts;
    size = 0;
    name.len = 0;

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "zone=", 5) == 0) {
            if (ngx_http_asgard_parse_zone(cf, &value[i], &name, &size) != NGX_OK) {
                return NGX_CONF_ERROR;
            }
            continue;
        }

        if (ngx_strncmp(value[i].data, "ttl=", 4) == 0) {
            s.data = value[i].data + 4;
            s.len = value[i].len - 4;
            ttl = ngx_parse_time(&s, 0);
            if (ttl == (ngx_msec_t) NGX_ERROR) {
                goto invalid;
            }
            amcf->cache_ttl = ttl;
            continue;
        }

        goto invalid;
    }

    if (name.len == 0) {
        goto invalid;
    }

    return ngx_http_asgard_cache_zone(cf, &name, size);

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "asgard_token_cache takes \"zone=NAME:SIZE [ttl=TIME]\", invalid \"%V\"",
                       &value[i < cf->args->nelts ? i : 1]);
    return NGX_CONF_ERROR;
}


static char *
ngx_http_asgard_mcp(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_asgard_loc_conf_t *alcf = conf;

    ngx_http_core_loc_conf_t     *clcf;
    ngx_http_asgard_main_conf_t  *amcf;

    if (alcf->mcp != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    alcf->mcp = 1;

    amcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_asgard_module);
    amcf->used = 1;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_asgard_mcp_handler;

    return NGX_CONF_OK;
}


/* The dashboard's JSON API: a prefix location (its routes are the URI below the prefix). */
static char *
ngx_http_asgard_dashboard_api(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t     *clcf;
    ngx_http_asgard_main_conf_t  *amcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    if (clcf->handler == ngx_http_asgard_dashboard_handler) {
        return "is duplicate";
    }
#if (NGX_PCRE)
    if (clcf->regex) {
        return "needs a prefix location (location /api/dashboard/ { ... })";
    }
#endif

    amcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_asgard_module);
    amcf->used = 1;

    clcf->handler = ngx_http_asgard_dashboard_handler;

    return NGX_CONF_OK;
}


/* asgard_gateway (cmd->offset 0) and asgard_gateway_models (cmd->offset 1). */
static char *
ngx_http_asgard_gateway(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_asgard_loc_conf_t *alcf = conf;

    ngx_http_core_loc_conf_t     *clcf;
    ngx_http_asgard_main_conf_t  *amcf;

    amcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_asgard_module);
    amcf->used = 1;
    amcf->gateway_used = 1;

    if (cmd->offset == 0) {
        if (alcf->gateway != NGX_CONF_UNSET) {
            return "is duplicate";
        }
        alcf->gateway = 1;
        return NGX_CONF_OK;
    }

    if (alcf->gateway_models != NGX_CONF_UNSET) {
        return "is duplicate";
    }
    alcf->gateway_models = 1;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_asgard_gateway_models_handler;

    return NGX_CONF_OK;
}


static char *
ngx_http_asgard_str_list(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    ngx_str_t     *value, *item;
    ngx_uint_t     i;
    ngx_array_t  **list;

    list = (ngx_array_t **) (p + cmd->offset);

    if (*list != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    *list = ngx_array_create(cf->pool, cf->args->nelts - 1, sizeof(ngx_str_t));
    if (*list == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        item = ngx_array_push(*list);
        if (item == NULL) {
            return NGX_CONF_ERROR;
        }
        *item = value[i];
    }

    return NGX_CONF_OK;
}


void
ngx_http_asgard_timer_init(ngx_event_t *ev, ngx_event_handler_pt handler, ngx_log_t *log)
{
    ev->handler = handler;
    ev->data = &ngx_http_asgard_timer_connection;
    ev->log = log;
    ev->cancelable = 1;
}


/* An answer cap under 1k would refuse even the smallest answers (an error is a few hundred bytes). */
static char *
ngx_http_asgard_check_response_size(ngx_conf_t *cf, void *post, void *data)
{
    size_t  *size = data;

    if (*size < 1024) {
        return "must be at least 1k";
    }

    return NGX_CONF_OK;
}


static void
ngx_http_asgard_touch_handler(ngx_event_t *ev)
{
    ngx_http_asgard_flush_token_use((ngx_cycle_t *) ngx_cycle);

    if (!ngx_exiting && !ngx_quit && !ngx_terminate) {
        ngx_add_timer(ev, ngx_http_asgard_touch_interval);
    }
}


static ngx_int_t
ngx_http_asgard_init_process(ngx_cycle_t *cycle)
{
    char                          err[256];
    asg_core_config_t             cfg;
    ngx_http_asgard_main_conf_t  *amcf;

    amcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_asgard_module);
    if (amcf == NULL || !amcf->used) {
        return NGX_OK;
    }

    ngx_memzero(&cfg, sizeof(cfg));
    cfg.database_url = (const char *) amcf->database_url.data;
    cfg.redis_host = (const char *) amcf->redis_host.data;
    cfg.redis_port = (int) amcf->redis_port;
    cfg.master_key = (const char *) amcf->master_key.data;
    cfg.master_key_len = amcf->master_key.len;
    cfg.session_ttl_ms = amcf->session_ttl;
    cfg.io_timeout_ms = amcf->io_timeout;

    if (asg_core_configure(&cfg, err, sizeof(err)) != 0) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0, "asgard: %s", err);
        return NGX_ERROR;
    }

    ngx_http_asgard_touch_interval = amcf->touch_interval;
    ngx_http_asgard_timer_init(&ngx_http_asgard_touch_timer, ngx_http_asgard_touch_handler, cycle->log);
    ngx_add_timer(&ngx_http_asgard_touch_timer, amcf->touch_interval);

    if (amcf->gateway_used) {
        if (asg_gateway_spool_open((const char *) amcf->spool_path->name.data,
                                   err, sizeof(err)) != 0)
        {
            ngx_log_error(NGX_LOG_ERR, cycle->log, 0,
                          "asgard: no call spool in \"%V\" (a crash of this worker loses "
                          "the call rows it has not written yet): %s",
                          &amcf->spool_path->name, err);
        }

        ngx_http_asgard_redis_init(cycle, &amcf->redis_host, amcf->redis_port);
        ngx_http_asgard_gateway_timers_start(cycle);
    }

    return NGX_OK;
}


static void
ngx_http_asgard_exit_process(ngx_cycle_t *cycle)
{
    char                          err[256];
    ngx_http_asgard_main_conf_t  *amcf;

    if (ngx_http_asgard_touch_timer.timer_set) {
        ngx_del_timer(&ngx_http_asgard_touch_timer);
    }

    amcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_asgard_module);

    if (amcf != NULL && amcf->gateway_used) {
        ngx_http_asgard_gateway_timers_stop();

        /* The worker is leaving (blocking is harmless here): what its calls still have to give
         * back to Redis goes out before the connection closes. */
        ngx_http_asgard_gateway_flush_outbox();

        ngx_http_asgard_redis_stop();

        asg_gateway_hand_over_rows();

        if (asg_gateway_flush(err, sizeof(err)) != 0) {
            ngx_log_error(NGX_LOG_ERR, cycle->log, 0,
                          "asgard: spend rows not written at worker exit (those in the call "
                          "spool are replayed by the next worker): %s", err);
        }

        /* What was not written stays in the spool, for another worker to replay. */
        asg_gateway_spool_close();
    }
}
