/* raft_kv_given.c -- lab 04 part E, given: kv_strerror and a command's wire format (raft_kv.h),
 * what a raft entry's data holds. All integers little-endian:
 *   offset 0 u8 op, 1 u64 client_id, 9 u64 seq, 17 i64 delta, 25 u32 key size, 29 u32 value
 *   size, then 33 the key, then the value.
 * Decoding checks every size against what is left and every rule raft_kv.h lists, so bytes that
 * no client encoded are refused with KV_BAD_COMMAND, never read past. Do not change. */
#include "raft_internal.h"
#include "raft_kv.h"

#include <string.h>

#define KV_STATUS_TEXT(name, text) [name] = (text),
static const char *const kv_status_texts[] = {KV_STATUS(KV_STATUS_TEXT)};
#undef KV_STATUS_TEXT

_Static_assert(KV_COMMAND_HEADER_BYTES == 1 + 3 * 8 + 2 * 4, "op, three u64, two u32");
_Static_assert(KV_COMMAND_HEADER_BYTES + KV_KEY_BYTES_MAX + KV_VALUE_BYTES_MAX <=
                   RAFT_ENTRY_BYTES_MAX,
               "the largest command fits one raft entry");

const char *
kv_strerror(kv_status status)
{
    return (size_t)status < sizeof(kv_status_texts) / sizeof(kv_status_texts[0])
               ? kv_status_texts[status]
               : "unknown status";
}

size_t
kv_command_encoded_size(const struct kv_command *cmd)
{
    return KV_COMMAND_HEADER_BYTES + (size_t)cmd->key_size_bytes + cmd->value_size_bytes;
}

void
kv_command_encode(const struct kv_command *cmd, uint8_t *buf)
{
    assert(cmd->key_size_bytes == 0 || cmd->key != NULL);
    assert(cmd->value_size_bytes == 0 || cmd->value != NULL);
    buf[0] = cmd->op;
    raft_put_u64(buf + 1, cmd->client_id);
    raft_put_u64(buf + 9, cmd->seq);
    raft_put_u64(buf + 17, (uint64_t)cmd->delta);
    raft_put_u32(buf + 25, cmd->key_size_bytes);
    raft_put_u32(buf + 29, cmd->value_size_bytes);
    uint8_t *p = buf + KV_COMMAND_HEADER_BYTES;
    if (cmd->key_size_bytes > 0) {
        memcpy(p, cmd->key, cmd->key_size_bytes);
    }
    p += cmd->key_size_bytes;
    if (cmd->value_size_bytes > 0) {
        memcpy(p, cmd->value, cmd->value_size_bytes);
    }
    p += cmd->value_size_bytes;
    assert((size_t)(p - buf) == kv_command_encoded_size(cmd));
}

/* Whether the sizes and numbers decoded into cmd make a command raft_kv.h allows. */
static bool
is_well_formed(const struct kv_command *cmd)
{
    if (cmd->op < KV_OP_REGISTER || cmd->op > KV_OP_INCR) {
        return false;
    }
    uint32_t value_max = cmd->op == KV_OP_PUT ? KV_VALUE_BYTES_MAX : 0;
    if (cmd->value_size_bytes > value_max) {
        return false;
    }
    if (cmd->op == KV_OP_REGISTER) {
        return cmd->key_size_bytes == 0 && cmd->client_id == 0;
    }
    if (cmd->key_size_bytes == 0 || cmd->key_size_bytes > KV_KEY_BYTES_MAX) {
        return false;
    }
    return cmd->client_id == 0 || cmd->seq > 0; /* a session numbers its commands from 1 */
}

kv_status
kv_command_decode(const uint8_t *buf, size_t size_bytes, struct kv_command *cmd)
{
    memset(cmd, 0, sizeof(*cmd));
    if (size_bytes < KV_COMMAND_HEADER_BYTES) {
        return KV_BAD_COMMAND;
    }
    cmd->op = buf[0];
    cmd->client_id = raft_get_u64(buf + 1);
    cmd->seq = raft_get_u64(buf + 9);
    cmd->delta = (int64_t)raft_get_u64(buf + 17);
    cmd->key_size_bytes = raft_get_u32(buf + 25);
    cmd->value_size_bytes = raft_get_u32(buf + 29);
    /* Two 32-bit sizes: their sum cannot wrap 64 bits. */
    uint64_t body_bytes = (uint64_t)cmd->key_size_bytes + cmd->value_size_bytes;
    if (!is_well_formed(cmd) || body_bytes != (uint64_t)(size_bytes - KV_COMMAND_HEADER_BYTES)) {
        memset(cmd, 0, sizeof(*cmd));
        return KV_BAD_COMMAND;
    }
    const uint8_t *p = buf + KV_COMMAND_HEADER_BYTES;
    cmd->key = cmd->key_size_bytes > 0 ? p : NULL;
    cmd->value = cmd->value_size_bytes > 0 ? p + cmd->key_size_bytes : NULL;
    return KV_OK;
}
