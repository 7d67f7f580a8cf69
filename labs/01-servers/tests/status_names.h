/* status_names.h -- lab 01's statuses by name in failure messages: resp_status_name(RESP_NOMEM)
 * is "RESP_NOMEM", from the X-macro lists of resp.h, dict.h and store.h, and assert_resp_status
 * (and its dict and cmd twins) fails naming the call and both statuses, as lab 03's bc_test.h
 * assert_status does for its one enum. */
#ifndef KEEL_STATUS_NAMES_H
#define KEEL_STATUS_NAMES_H

#include "dict.h"
#include "kh_test.h"
#include "resp.h"
#include "store.h"

#define STATUS_NAME_CASE(name, text)                                                               \
    case name:                                                                                     \
        return #name;

static __attribute__((unused)) const char *
resp_status_name(resp_status status)
{
    switch (status) {
        RESP_STATUS_LIST(STATUS_NAME_CASE)
    }
    return "an unknown resp_status";
}

static __attribute__((unused)) const char *
dict_status_name(dict_status status)
{
    switch (status) {
        DICT_STATUS_LIST(STATUS_NAME_CASE)
    }
    return "an unknown dict_status";
}

static __attribute__((unused)) const char *
cmd_status_name(cmd_status status)
{
    switch (status) {
        CMD_STATUS_LIST(STATUS_NAME_CASE)
    }
    return "an unknown cmd_status";
}

#undef STATUS_NAME_CASE

/* assert_*_status(expr, expected): KH_ASSERT_STATUS_OF (kh_test.h) for each status type. */
#define assert_resp_status(expr, expected)                                                         \
    KH_ASSERT_STATUS_OF(resp_status, resp_status_name, resp_strerror, expr, expected, #expr)
#define assert_dict_status(expr, expected)                                                         \
    KH_ASSERT_STATUS_OF(dict_status, dict_status_name, dict_strerror, expr, expected, #expr)
#define assert_cmd_status(expr, expected)                                                          \
    KH_ASSERT_STATUS_OF(cmd_status, cmd_status_name, cmd_strerror, expr, expected, #expr)

#endif
