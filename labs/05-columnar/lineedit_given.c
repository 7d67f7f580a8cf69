/* lineedit_given.c -- lineedit.h's line editor (lab 05): the terminal in raw mode and back,
 * keys decoded from bytes, a one-line redraw that scrolls sideways, history and its file.
 * Read line_editor_read first, then edit_apply. Students do not change this file. */
#include "lineedit.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

/* The width when the terminal will not say (TIOCGWINSZ fails or reports 0): the VT100's. */
#define COLUMNS_DEFAULT 80u
/* How long the bytes after an ESC, or after a UTF-8 lead byte, may take to arrive. A terminal
 * sends a key's bytes in one write, so they come together; a lone Esc key waits this long and
 * is then ignored. 50 ms is below what a person notices at a key press. */
#define SEQUENCE_WAIT_MS 50
/* Bytes of a CSI sequence's parameters and intermediates read before giving up on it. A key
 * sends at most 5 ("15;5~" is Ctrl-F5); the margin is for other terminals' reports. */
#define CSI_SIZE_MAX 64u

/* What one key press asks for, after decoding its bytes. */
enum key_kind {
    KEY_IGNORED, /* an unknown sequence or control key; 0, what CONTROL_KEYS leaves unset */
    KEY_TEXT,    /* insert text[0..size_bytes) */
    KEY_LEFT,
    KEY_RIGHT,
    KEY_HOME,
    KEY_END,
    KEY_UP,
    KEY_DOWN,
    KEY_BACKSPACE,
    KEY_DELETE,
    KEY_CTRL_D,
    KEY_KILL_TO_END,
    KEY_KILL_TO_START,
    KEY_KILL_WORD,
    KEY_CLEAR,
    KEY_SUSPEND,
    KEY_INTERRUPT, /* Ctrl-C */
    KEY_ENTER,
    KEY_REDRAW, /* a signal took the terminal away and gave it back */
    KEY_EOF,    /* the terminal has no more input (hung up) */
};

struct key {
    enum key_kind kind;
    uint8_t size_bytes; /* of text, for KEY_TEXT: one UTF-8 character */
    char text[4];
};

/* The line being edited. cursor_bytes and view_start_bytes always sit on a character's first
 * byte (or at size_bytes), since text only enters whole characters at a time. */
struct line_buffer {
    char *bytes; /* NUL-terminated; capacity_bytes includes the NUL */
    size_t size_bytes;
    size_t capacity_bytes;
    size_t cursor_bytes;
    size_t view_start_bytes; /* the first byte on the screen */
};

enum editor_mode {
    MODE_RAW,          /* a capable terminal: edit in raw mode */
    MODE_PLAIN_PROMPT, /* a dumb terminal: print the prompt, read a line as it comes */
    MODE_PLAIN,        /* not a terminal: read a line, print nothing */
};

struct line_editor {
    enum editor_mode mode;
    char *history_path; /* owned; NULL: no file */
    bool may_save;      /* false when the file exists but could not be read whole */
    uint32_t history_max;
    uint32_t history_count;
    uint32_t history_first; /* the oldest entry's slot: history is a ring of history_max */
    char **history;         /* owned, each entry owned */
    struct line_buffer line;
    char *screen; /* one redraw's bytes, kept between redraws */
    size_t screen_capacity_bytes;
    /* Of the read under way. */
    const char *prompt; /* borrowed for the call */
    size_t prompt_columns;
    uint32_t history_index; /* 0: the typed line; i: the i-th newest entry */
    char *typed;            /* owned: the typed line, kept while history is shown */
};

/* ---- The terminal's mode, and signals that must not leave it raw ---- */

/* A signal handler needs these, so they are the module's, not the editor's: one editor reads
 * at a time. raw_fd is -1 outside raw mode. */
static struct termios raw_saved; /* the mode to restore */
static volatile sig_atomic_t raw_fd = -1;
static volatile sig_atomic_t raw_lost; /* a handler restored the mode, or the process resumed */
/* A byte that ended a sequence without being part of it (a CSI sequence or a UTF-8
 * character cut short), to be read again as the next key's first; -1 when none. */
static int byte_pushed_back = -1;
static const int RAW_SIGNALS[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP, SIGCONT};
#define RAW_SIGNAL_COUNT (sizeof(RAW_SIGNALS) / sizeof(RAW_SIGNALS[0]))
static struct sigaction raw_old_actions[RAW_SIGNAL_COUNT];

/* Restores the terminal, then lets the signal do what it did before: kill, stop, or run the
 * program's own handler. tcsetattr, sigaction and raise are async-signal-safe (POSIX
 * 2.4.3). The signal is blocked while its handler runs, so the raise lands on return, with
 * the old action in place. SIGCONT only notes that raw mode must be set again: the process
 * was stopped, and the shell that resumed it may have changed the mode. */
static void
raw_on_signal(int signal_number)
{
    int saved_errno = errno;
    raw_lost = 1;
    if (signal_number != SIGCONT) {
        if (raw_fd >= 0) {
            tcsetattr(raw_fd, TCSANOW, &raw_saved);
        }
        for (size_t i = 0; i < RAW_SIGNAL_COUNT; i++) {
            if (RAW_SIGNALS[i] == signal_number) {
                sigaction(signal_number, &raw_old_actions[i], NULL);
            }
        }
        raise(signal_number);
    }
    errno = saved_errno;
}

/* Puts the terminal in raw mode: bytes as typed, no echo, no signals from keys (Ctrl-C and
 * Ctrl-Z arrive as bytes). Output processing stays on, so "\n" written by anyone still starts
 * a line. The handlers go in first, so no signal finds the terminal raw and unguarded. With
 * is_first, the mode to restore is read first; on a resume it is the one read at the start
 * of the call, since the terminal may still be raw then. */
static col_status
raw_enter(bool is_first, struct col_error *err)
{
    assert(raw_fd == -1);
    if (is_first && tcgetattr(STDIN_FILENO, &raw_saved) != 0) {
        return col_fail(err, COL_IO, "reading the terminal's mode: %s", strerror(errno));
    }
    struct termios raw = raw_saved;
    raw.c_iflag &= ~(tcflag_t)(BRKINT | ICRNL | INPCK | ISTRIP | IXON);
    raw.c_cflag |= CS8;
    raw.c_lflag &= ~(tcflag_t)(ECHO | ICANON | IEXTEN | ISIG);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;

    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = raw_on_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0; /* no SA_RESTART: a read must return EINTR so the loop sees raw_lost */
    raw_lost = 0;
    raw_fd = STDIN_FILENO;
    for (size_t i = 0; i < RAW_SIGNAL_COUNT; i++) {
        sigaction(RAW_SIGNALS[i], &action, &raw_old_actions[i]);
    }
    /* TCSADRAIN, not TCSAFLUSH: lines pasted ahead must wait for the next read, not vanish. */
    if (tcsetattr(STDIN_FILENO, TCSADRAIN, &raw) != 0) {
        int saved_errno = errno;
        for (size_t i = 0; i < RAW_SIGNAL_COUNT; i++) {
            sigaction(RAW_SIGNALS[i], &raw_old_actions[i], NULL);
        }
        raw_fd = -1;
        return col_fail(err, COL_IO, "setting the terminal's mode: %s", strerror(saved_errno));
    }
    return COL_OK;
}

/* Restores the terminal's mode and the signals' old actions. */
static void
raw_leave(void)
{
    if (raw_fd == -1) {
        return; /* raw_resume failed to set raw mode again */
    }
    assert(raw_fd == STDIN_FILENO);
    tcsetattr(STDIN_FILENO, TCSADRAIN, &raw_saved);
    raw_fd = -1;
    for (size_t i = 0; i < RAW_SIGNAL_COUNT; i++) {
        sigaction(RAW_SIGNALS[i], &raw_old_actions[i], NULL);
    }
}

/* After a signal handler ran (the process stopped and resumed, or a handler of the program
 * ran and returned), sets raw mode again. */
static col_status
raw_resume(struct col_error *err)
{
    assert(raw_lost);
    raw_leave();
    return raw_enter(false, err);
}

/* ---- Bytes in and out ---- */

static col_status
write_all(const char *bytes, size_t size_bytes, struct col_error *err)
{
    while (size_bytes > 0) {
        ssize_t written = write(STDOUT_FILENO, bytes, size_bytes);
        if (written < 0 && errno == EINTR) {
            continue;
        }
        if (written <= 0) {
            return col_fail(err, COL_IO, "writing to the terminal: %s", strerror(errno));
        }
        bytes += written;
        size_bytes -= (size_t)written;
    }
    return COL_OK;
}

enum byte_result { BYTE_OK, BYTE_EOF, BYTE_TIMEOUT, BYTE_INTERRUPTED, BYTE_ERROR };

/* Reads one byte of the terminal, waiting at most wait_ms (-1: for ever). BYTE_INTERRUPTED
 * means a signal handler ran: the caller must call raw_resume. BYTE_ERROR leaves errno. */
static enum byte_result
byte_read(int wait_ms, unsigned char *byte)
{
    if (byte_pushed_back >= 0) {
        *byte = (unsigned char)byte_pushed_back;
        byte_pushed_back = -1;
        return BYTE_OK;
    }
    for (;;) {
        if (raw_lost) {
            return BYTE_INTERRUPTED;
        }
        if (wait_ms >= 0) {
            struct pollfd ready = {.fd = STDIN_FILENO, .events = POLLIN};
            int count = poll(&ready, 1, wait_ms);
            if (count == 0) {
                return BYTE_TIMEOUT;
            }
            if (count < 0 && errno == EINTR) {
                continue;
            }
            if (count < 0) {
                return BYTE_ERROR;
            }
        }
        ssize_t got = read(STDIN_FILENO, byte, 1);
        if (got == 1) {
            return BYTE_OK;
        }
        if (got == 0) {
            return BYTE_EOF;
        }
        if (errno != EINTR && errno != EAGAIN) {
            return BYTE_ERROR;
        }
    }
}

/* Whether more bytes are waiting: a paste. Redrawing after each of its bytes would make a
 * paste of n bytes cost n redraws; one at its end is enough. */
static bool
input_is_pending(void)
{
    struct pollfd ready = {.fd = STDIN_FILENO, .events = POLLIN};
    return poll(&ready, 1, 0) == 1;
}

/* ---- Keys ---- */

/* The key named by ESC [ params final (CSI) or ESC O final (SS3): xterm, VT220 and the Linux
 * console between them send every form named here. first_param is the number before any ';'
 * (a modifier after it, as in ESC [ 1 ; 5 C for Ctrl-Right, is disregarded). */
static enum key_kind
key_of_sequence(unsigned char final, unsigned first_param)
{
    switch (final) {
    case 'A':
        return KEY_UP;
    case 'B':
        return KEY_DOWN;
    case 'C':
        return KEY_RIGHT;
    case 'D':
        return KEY_LEFT;
    case 'H':
        return KEY_HOME;
    case 'F':
        return KEY_END;
    case '~':
        if (first_param == 1 || first_param == 7) {
            return KEY_HOME;
        }
        if (first_param == 4 || first_param == 8) {
            return KEY_END;
        }
        return first_param == 3 ? KEY_DELETE : KEY_IGNORED;
    default:
        return KEY_IGNORED;
    }
}

/* Reads what follows an ESC. A byte that cannot be part of a CSI sequence ends it and is read
 * again as a key, as is a control byte right after the ESC; a printable one there other than
 * [ or O is Alt and that key, ignored whole. The bytes of a sequence are never inserted. */
static enum byte_result
key_read_escape(struct key *key)
{
    unsigned char byte;
    enum byte_result got = byte_read(SEQUENCE_WAIT_MS, &byte);
    key->kind = KEY_IGNORED;
    if (got != BYTE_OK || (byte != '[' && byte != 'O')) {
        if (got == BYTE_OK && byte < 0x20) {
            byte_pushed_back = byte; /* Esc then Enter, or ESC ESC [ A (Alt-Up): a key */
        }
        return got == BYTE_TIMEOUT ? BYTE_OK : got; /* a lone Esc, or Alt and a printable */
    }
    if (byte == 'O') {
        unsigned char final;
        got = byte_read(SEQUENCE_WAIT_MS, &final);
        if (got == BYTE_OK) {
            key->kind = key_of_sequence(final, 0);
        }
        return got == BYTE_TIMEOUT ? BYTE_OK : got;
    }
    unsigned first_param = 0;
    bool is_first_param = true;
    for (uint32_t i = 0; i <= CSI_SIZE_MAX; i++) {
        got = byte_read(SEQUENCE_WAIT_MS, &byte);
        if (got != BYTE_OK) {
            return got == BYTE_TIMEOUT ? BYTE_OK : got;
        }
        if (byte >= 0x40 && byte <= 0x7e) {
            key->kind = key_of_sequence(byte, first_param);
            return BYTE_OK;
        }
        if (byte < 0x20 || byte > 0x3f) {
            byte_pushed_back = byte; /* not part of a sequence: a key of its own */
            return BYTE_OK;
        }
        if (byte >= '0' && byte <= '9' && is_first_param && first_param < 1000) {
            first_param = first_param * 10 + (unsigned)(byte - '0');
        } else if (byte < '0' || byte > '9') {
            is_first_param = false;
        }
    }
    return BYTE_OK; /* too long to be a key */
}

/* Reads the rest of a UTF-8 character after its lead byte. A lead that starts no character
 * (a stray continuation byte, 0xC0, 0xC1, 0xF5 and up: RFC 3629, section 4) or a character
 * cut short is ignored, so the line only ever holds whole characters; the byte that cut it
 * short is read again as a key of its own. */
static enum byte_result
key_read_utf8(unsigned char lead, struct key *key)
{
    uint8_t size_bytes = lead >= 0xc2 && lead <= 0xdf   ? 2
                         : lead >= 0xe0 && lead <= 0xef ? 3
                         : lead >= 0xf0 && lead <= 0xf4 ? 4
                                                        : 0;
    key->kind = KEY_IGNORED;
    if (size_bytes == 0) {
        return BYTE_OK;
    }
    key->text[0] = (char)lead;
    for (uint8_t i = 1; i < size_bytes; i++) {
        unsigned char byte;
        enum byte_result got = byte_read(SEQUENCE_WAIT_MS, &byte);
        if (got != BYTE_OK) {
            return got == BYTE_TIMEOUT ? BYTE_OK : got;
        }
        if ((byte & 0xc0) != 0x80) {
            byte_pushed_back = byte; /* the next key's first byte */
            return BYTE_OK;
        }
        key->text[i] = (char)byte;
    }
    key->kind = KEY_TEXT;
    key->size_bytes = size_bytes;
    return BYTE_OK;
}

/* The key each control byte means: Emacs's bindings, as readline's; KEY_IGNORED (0) for the
 * rest. Enter arrives as CR (0x0d) since ICRNL is off; Ctrl-J (LF) is Enter as well; Ctrl-H
 * is what some terminals send for Backspace. */
static const enum key_kind CONTROL_KEYS[0x20] = {
    [0x01] = KEY_HOME,      [0x02] = KEY_LEFT,          [0x03] = KEY_INTERRUPT,
    [0x04] = KEY_CTRL_D,    [0x05] = KEY_END,           [0x06] = KEY_RIGHT,
    [0x08] = KEY_BACKSPACE, [0x0a] = KEY_ENTER,         [0x0b] = KEY_KILL_TO_END,
    [0x0c] = KEY_CLEAR,     [0x0d] = KEY_ENTER,         [0x0e] = KEY_DOWN,
    [0x10] = KEY_UP,        [0x15] = KEY_KILL_TO_START, [0x17] = KEY_KILL_WORD,
    [0x1a] = KEY_SUSPEND,
};

/* Reads one key press. Returns COL_OK (KEY_EOF when the terminal closed) or COL_IO. */
static col_status
key_read(struct key *key, struct col_error *err)
{
    *key = (struct key){.kind = KEY_IGNORED};
    unsigned char byte;
    enum byte_result got = byte_read(-1, &byte);
    if (got == BYTE_OK) {
        if (byte == 0x1b) {
            got = key_read_escape(key);
        } else if (byte >= 0x80) {
            got = key_read_utf8(byte, key);
        } else if (byte >= 0x20 && byte != 0x7f) {
            key->kind = KEY_TEXT;
            key->text[0] = (char)byte;
            key->size_bytes = 1;
        } else if (byte == '\t') {
            /* A tab would take a column count the redraw cannot know; as a space it separates
             * SQL tokens the same way. */
            key->kind = KEY_TEXT;
            key->text[0] = ' ';
            key->size_bytes = 1;
        } else {
            key->kind = byte == 0x7f ? KEY_BACKSPACE : CONTROL_KEYS[byte];
        }
    }
    switch (got) {
    case BYTE_OK:
        return COL_OK;
    case BYTE_EOF:
        key->kind = KEY_EOF;
        return COL_OK;
    case BYTE_INTERRUPTED:
        key->kind = KEY_REDRAW;
        return COL_OK;
    case BYTE_TIMEOUT:
    case BYTE_ERROR:
        break;
    }
    return col_fail(err, COL_IO, "reading the terminal: %s", strerror(errno));
}

/* ---- The line: bytes, characters and columns ---- */

static bool
is_continuation(char byte)
{
    return ((unsigned char)byte & 0xc0) == 0x80;
}

/* The offset of the character after the one at, or before it. */
static size_t
char_next(const struct line_buffer *l, size_t at)
{
    assert(at < l->size_bytes);
    do {
        at++;
    } while (at < l->size_bytes && is_continuation(l->bytes[at]));
    return at;
}

static size_t
char_prev(const struct line_buffer *l, size_t at)
{
    assert(at > 0);
    do {
        at--;
    } while (at > 0 && is_continuation(l->bytes[at]));
    return at;
}

/* Characters (one column each) from from to to, counting no further than limit. */
static size_t
columns_between(const struct line_buffer *l, size_t from, size_t to, size_t limit)
{
    size_t columns = 0;
    for (size_t at = from; at < to && columns < limit; at = char_next(l, at)) {
        columns++;
    }
    return columns;
}

/* The offset columns characters after from (or the end), or before from (or the start). */
static size_t
skip_forward(const struct line_buffer *l, size_t from, size_t columns)
{
    for (; columns > 0 && from < l->size_bytes; columns--) {
        from = char_next(l, from);
    }
    return from;
}

static size_t
skip_back(const struct line_buffer *l, size_t from, size_t columns)
{
    for (; columns > 0 && from > 0; columns--) {
        from = char_prev(l, from);
    }
    return from;
}

/* Makes room for size_bytes more bytes and the NUL. */
static bool
line_reserve(struct line_buffer *l, size_t size_bytes)
{
    size_t needed = l->size_bytes + size_bytes + 1;
    if (needed <= l->capacity_bytes) {
        return true;
    }
    size_t capacity = l->capacity_bytes > 0 ? l->capacity_bytes : 256;
    while (capacity < needed) {
        capacity *= 2;
    }
    char *bytes = realloc(l->bytes, capacity);
    if (bytes == NULL) {
        return false;
    }
    l->bytes = bytes;
    l->capacity_bytes = capacity;
    return true;
}

static bool
line_insert(struct line_buffer *l, const char *text, size_t size_bytes)
{
    if (!line_reserve(l, size_bytes)) {
        return false;
    }
    char *at = l->bytes + l->cursor_bytes;
    memmove(at + size_bytes, at, l->size_bytes - l->cursor_bytes + 1); /* with the NUL */
    memcpy(at, text, size_bytes);
    l->size_bytes += size_bytes;
    l->cursor_bytes += size_bytes;
    return true;
}

/* Removes bytes [from, to), leaving the cursor at from. */
static void
line_delete(struct line_buffer *l, size_t from, size_t to)
{
    assert(from <= to);
    assert(to <= l->size_bytes);
    memmove(l->bytes + from, l->bytes + to, l->size_bytes - to + 1);
    l->size_bytes -= to - from;
    l->cursor_bytes = from;
}

/* Replaces the line with text, the cursor at its end. */
static bool
line_set(struct line_buffer *l, const char *text)
{
    l->size_bytes = 0;
    l->cursor_bytes = 0;
    l->view_start_bytes = 0;
    if (!line_reserve(l, 0)) {
        return false;
    }
    l->bytes[0] = '\0';
    return line_insert(l, text, strlen(text));
}

/* The start of the word before the cursor: spaces skipped back, then non-spaces. */
static size_t
word_start_before(const struct line_buffer *l)
{
    size_t at = l->cursor_bytes;
    while (at > 0 && l->bytes[at - 1] == ' ') {
        at--;
    }
    while (at > 0 && l->bytes[at - 1] != ' ') {
        at--;
    }
    return at;
}

/* ---- The screen ---- */

static size_t
terminal_columns(void)
{
    struct winsize size;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) != 0 || size.ws_col == 0) {
        return COLUMNS_DEFAULT;
    }
    return size.ws_col;
}

/* Moves the window of shown text so the cursor is in it, and so it is full when the text
 * allows: no text hidden on the left while there is room on the right. Bounded by the
 * window's width, not the line's length. */
static void
view_adjust(struct line_buffer *l, size_t window_columns)
{
    if (l->cursor_bytes < l->view_start_bytes) {
        l->view_start_bytes = l->cursor_bytes;
    }
    if (columns_between(l, l->view_start_bytes, l->cursor_bytes, window_columns + 1) >
        window_columns) {
        l->view_start_bytes = skip_back(l, l->cursor_bytes, window_columns);
    }
    if (l->view_start_bytes > 0 &&
        columns_between(l, l->view_start_bytes, l->size_bytes, window_columns) < window_columns) {
        l->view_start_bytes = skip_back(l, l->size_bytes, window_columns);
    }
    assert(l->view_start_bytes <= l->cursor_bytes);
}

/* Redraws the line in one write: to the start of the row, the prompt, the window's text,
 * erase the rest of the row (ESC [ K), back to the start, right to the cursor (ESC [ n C).
 * The last column stays free, so the cursor after the last character never wraps. */
static col_status
screen_refresh(struct line_editor *e, struct col_error *err)
{
    struct line_buffer *l = &e->line;
    size_t columns = terminal_columns();
    size_t window_columns = columns > e->prompt_columns + 1 ? columns - e->prompt_columns - 1 : 1;
    view_adjust(l, window_columns);
    size_t shown_end = skip_forward(l, l->view_start_bytes, window_columns);
    size_t cursor_column =
        e->prompt_columns + columns_between(l, l->view_start_bytes, l->cursor_bytes, SIZE_MAX);
    size_t prompt_size = strlen(e->prompt);
    size_t shown_size = shown_end - l->view_start_bytes;
    size_t needed = 1 + prompt_size + shown_size + 32; /* 32: both escapes and a number */
    if (needed > e->screen_capacity_bytes) {
        char *screen = realloc(e->screen, needed);
        if (screen == NULL) {
            return col_fail(err, COL_NOMEM, "no memory to redraw a line of %zu bytes",
                            l->size_bytes);
        }
        e->screen = screen;
        e->screen_capacity_bytes = needed;
    }
    char *out = e->screen;
    *out++ = '\r';
    memcpy(out, e->prompt, prompt_size);
    out += prompt_size;
    memcpy(out, l->bytes + l->view_start_bytes, shown_size);
    for (size_t i = 0; i < shown_size; i++) {
        if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f) {
            out[i] = ' '; /* a newline of a multi-line history entry: it would break the row */
        }
    }
    out += shown_size;
    size_t tail_capacity = needed - (size_t)(out - e->screen);
    int tail = cursor_column > 0 ? snprintf(out, tail_capacity, "\x1b[K\r\x1b[%zuC", cursor_column)
                                 : snprintf(out, tail_capacity, "\x1b[K\r");
    assert(tail > 0);
    assert((size_t)tail < tail_capacity);
    out += tail;
    return write_all(e->screen, (size_t)(out - e->screen), err);
}

/* ---- History ---- */

/* The index-th entry, 0 the oldest. */
static char **
history_slot(struct line_editor *e, uint32_t index)
{
    assert(index < e->history_count);
    return &e->history[(e->history_first + index) % e->history_max];
}

/* Shows the index-th newest entry (0: the typed line). */
static bool
history_show(struct line_editor *e, uint32_t index)
{
    assert(index <= e->history_count);
    if (e->history_index == 0) {
        free(e->typed);
        e->typed = strdup(e->line.bytes);
        if (e->typed == NULL) {
            return false;
        }
    }
    e->history_index = index;
    const char *text = index == 0 ? e->typed : *history_slot(e, e->history_count - index);
    return line_set(&e->line, text);
}

/* ---- Editing ---- */

enum edit_step {
    STEP_MORE,    /* keep reading keys */
    STEP_ACCEPT,  /* the line is done */
    STEP_ABANDON, /* Ctrl-C: the line is empty and done */
    STEP_END,     /* no more input */
    STEP_NOMEM,
};

/* Applies one key to the line. A flat switch: each case is the whole of what its key does. */
static enum edit_step
edit_apply(struct line_editor *e, const struct key *key)
{
    struct line_buffer *l = &e->line;
    bool is_at_end = l->cursor_bytes == l->size_bytes;
    switch (key->kind) {
    case KEY_TEXT:
        if (l->size_bytes + key->size_bytes > LINE_EDITOR_LINE_SIZE_MAX) {
            return STEP_MORE;
        }
        return line_insert(l, key->text, key->size_bytes) ? STEP_MORE : STEP_NOMEM;
    case KEY_LEFT:
        l->cursor_bytes = l->cursor_bytes > 0 ? char_prev(l, l->cursor_bytes) : 0;
        return STEP_MORE;
    case KEY_RIGHT:
        l->cursor_bytes = is_at_end ? l->cursor_bytes : char_next(l, l->cursor_bytes);
        return STEP_MORE;
    case KEY_HOME:
        l->cursor_bytes = 0;
        return STEP_MORE;
    case KEY_END:
        l->cursor_bytes = l->size_bytes;
        return STEP_MORE;
    case KEY_BACKSPACE:
        if (l->cursor_bytes > 0) {
            line_delete(l, char_prev(l, l->cursor_bytes), l->cursor_bytes);
        }
        return STEP_MORE;
    case KEY_CTRL_D:
        if (l->size_bytes == 0) {
            return STEP_END;
        }
        /* Ctrl-D on a line with text is Delete. */
        __attribute__((fallthrough));
    case KEY_DELETE:
        if (!is_at_end) {
            line_delete(l, l->cursor_bytes, char_next(l, l->cursor_bytes));
        }
        return STEP_MORE;
    case KEY_KILL_TO_END:
        line_delete(l, l->cursor_bytes, l->size_bytes);
        return STEP_MORE;
    case KEY_KILL_TO_START:
        line_delete(l, 0, l->cursor_bytes);
        return STEP_MORE;
    case KEY_KILL_WORD:
        line_delete(l, word_start_before(l), l->cursor_bytes);
        return STEP_MORE;
    case KEY_UP:
        if (e->history_index < e->history_count) {
            return history_show(e, e->history_index + 1) ? STEP_MORE : STEP_NOMEM;
        }
        return STEP_MORE;
    case KEY_DOWN:
        if (e->history_index > 0) {
            return history_show(e, e->history_index - 1) ? STEP_MORE : STEP_NOMEM;
        }
        return STEP_MORE;
    case KEY_INTERRUPT:
        return STEP_ABANDON;
    case KEY_ENTER:
        return STEP_ACCEPT;
    case KEY_EOF:
        return l->size_bytes == 0 ? STEP_END : STEP_ACCEPT;
    case KEY_CLEAR:   /* the loop clears the screen */
    case KEY_SUSPEND: /* the loop stops the process */
    case KEY_REDRAW:  /* the loop sets raw mode again */
    case KEY_IGNORED:
        return STEP_MORE;
    }
    return STEP_MORE;
}

/* What the loop does around a key besides editing: the ones that touch the terminal or the
 * process rather than the line. */
static col_status
edit_terminal_key(enum key_kind kind, struct col_error *err)
{
    if (kind == KEY_SUSPEND) {
        /* The SIGTSTP handler restores the mode and stops the process, as if the key had
         * sent the signal with ISIG on; raw_lost then brings raw mode back below. */
        raise(SIGTSTP);
    }
    if (raw_lost) {
        col_status status = raw_resume(err);
        if (status != COL_OK) {
            return status;
        }
    }
    if (kind == KEY_CLEAR) {
        return write_all("\x1b[H\x1b[2J", 7, err); /* home the cursor, erase the screen */
    }
    return COL_OK;
}

/* Edits one line on the terminal in raw mode, until Enter, Ctrl-C or the end of input.
 * Returns COL_OK with the line in e->line, COL_NOT_FOUND, COL_IO or COL_NOMEM. */
static col_status
edit_loop(struct line_editor *e, struct col_error *err)
{
    col_status status = screen_refresh(e, err);
    while (status == COL_OK) {
        struct key key;
        status = key_read(&key, err);
        if (status != COL_OK) {
            break;
        }
        enum edit_step step = edit_apply(e, &key);
        if (step == STEP_NOMEM) {
            return col_fail(err, COL_NOMEM, "no memory for a line of %zu bytes",
                            e->line.size_bytes);
        }
        if (step == STEP_MORE) {
            status = edit_terminal_key(key.kind, err);
            if (status == COL_OK && !input_is_pending()) {
                status = screen_refresh(e, err);
            }
            continue;
        }
        /* The line is done: drawn once more, since a paste may have skipped every redraw,
         * with the cursor at its end, so what is written next does not cover it. */
        e->line.cursor_bytes = e->line.size_bytes;
        status = screen_refresh(e, err);
        if (status != COL_OK) {
            return status;
        }
        if (step == STEP_ABANDON) {
            line_set(&e->line, ""); /* cannot fail: the buffer exists and shrinks */
            return write_all("^C\r\n", 4, err);
        }
        status = write_all("\r\n", 2, err);
        return status == COL_OK && step == STEP_END ? COL_NOT_FOUND : status;
    }
    return status;
}

/* ---- Reading without a terminal ---- */

/* Reads a line as it comes, of any length. */
static col_status
read_plain(char **line, struct col_error *err)
{
    char *text = NULL;
    size_t capacity_bytes = 0;
    errno = 0;
    ssize_t size_bytes = getline(&text, &capacity_bytes, stdin);
    if (size_bytes < 0) {
        int saved_errno = errno;
        free(text);
        if (!ferror(stdin)) {
            return COL_NOT_FOUND;
        }
        clearerr(stdin);
        return saved_errno == ENOMEM
                   ? col_fail(err, COL_NOMEM, "no memory to read a line")
                   : col_fail(err, COL_IO, "reading standard input: %s", strerror(saved_errno));
    }
    if (size_bytes > 0 && text[size_bytes - 1] == '\n') {
        text[size_bytes - 1] = '\0';
    }
    *line = text;
    return COL_OK;
}

/* ---- The API ---- */

col_status
line_editor_read(struct line_editor *e, const char *prompt, char **line, struct col_error *err)
{
    assert(e != NULL);
    assert(prompt != NULL);
    assert(line != NULL);
    fflush(stdout); /* what the shell printed goes before the prompt */
    if (e->mode != MODE_RAW) {
        if (e->mode == MODE_PLAIN_PROMPT) {
            fputs(prompt, stdout);
            fflush(stdout);
        }
        return read_plain(line, err);
    }
    if (!line_set(&e->line, "")) {
        return col_fail(err, COL_NOMEM, "no memory for a line");
    }
    col_status status = raw_enter(true, err);
    if (status != COL_OK) {
        return status;
    }
    e->prompt = prompt;
    e->prompt_columns = 0;
    for (const char *p = prompt; *p != '\0'; p++) {
        e->prompt_columns += !is_continuation(*p);
    }
    e->history_index = 0;
    status = edit_loop(e, err);
    raw_leave();
    free(e->typed);
    e->typed = NULL;
    e->prompt = NULL;
    if (status != COL_OK) {
        return status;
    }
    *line = strdup(e->line.bytes);
    if (*line == NULL) {
        return col_fail(err, COL_NOMEM, "no memory for a line of %zu bytes", e->line.size_bytes);
    }
    return COL_OK;
}

void
line_editor_add_history(struct line_editor *e, const char *line)
{
    assert(e != NULL);
    assert(line != NULL);
    if (e->history_max == 0 || line[0] == '\0') {
        return;
    }
    if (e->history_count > 0 && strcmp(*history_slot(e, e->history_count - 1), line) == 0) {
        return;
    }
    char *copy = strdup(line);
    if (copy == NULL) {
        return;
    }
    if (e->history_count == e->history_max) {
        free(e->history[e->history_first]);
        e->history[e->history_first] = copy; /* the oldest slot becomes the newest */
        e->history_first = (e->history_first + 1) % e->history_max;
    } else {
        e->history_count++;
        *history_slot(e, e->history_count - 1) = copy;
    }
    assert(e->history_count <= e->history_max);
}

/* Undoes history_save's escapes in place: \n a newline, \\ a backslash; any other backslash
 * stays as it is, so a file written by hand loses nothing. */
static void
history_unescape(char *text)
{
    char *out = text;
    for (const char *in = text; *in != '\0'; in++) {
        if (in[0] == '\\' && (in[1] == 'n' || in[1] == '\\')) {
            *out++ = in[1] == 'n' ? '\n' : '\\';
            in++;
        } else {
            *out++ = *in;
        }
    }
    *out = '\0';
}

/* Loads the file's lines; the ring keeps the newest history_max. Returns whether the file
 * may be written at close: it was read whole, or does not exist yet. */
static bool
history_load(struct line_editor *e)
{
    FILE *file = fopen(e->history_path, "r");
    if (file == NULL) {
        return errno == ENOENT;
    }
    char *text = NULL;
    size_t capacity_bytes = 0;
    ssize_t size_bytes;
    while ((size_bytes = getline(&text, &capacity_bytes, file)) >= 0) {
        if (size_bytes > 0 && text[size_bytes - 1] == '\n') {
            text[size_bytes - 1] = '\0';
        }
        history_unescape(text);
        line_editor_add_history(e, text);
    }
    bool is_whole = !ferror(file);
    free(text);
    fclose(file);
    return is_whole;
}

col_status
line_editor_open(const char *history_path, uint32_t history_max, struct line_editor **out,
                 struct col_error *err)
{
    assert(out != NULL);
    if (history_max > LINE_EDITOR_HISTORY_MAX) {
        return col_fail(err, COL_INVALID, "a history of %u entries is over the limit of %u",
                        history_max, LINE_EDITOR_HISTORY_MAX);
    }
    struct line_editor *e = calloc(1, sizeof(*e));
    if (e == NULL) {
        goto fail;
    }
    e->history_max = history_max;
    e->history = calloc(history_max > 0 ? history_max : 1, sizeof(*e->history));
    if (e->history == NULL) {
        goto fail;
    }
    if (history_path != NULL) {
        e->history_path = strdup(history_path);
        if (e->history_path == NULL) {
            goto fail;
        }
        e->may_save = history_load(e);
    }
    const char *term = getenv("TERM");
    bool is_terminal = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
    bool is_dumb = term == NULL || strcmp(term, "dumb") == 0 || term[0] == '\0';
    e->mode = !is_terminal ? MODE_PLAIN : is_dumb ? MODE_PLAIN_PROMPT : MODE_RAW;
    *out = e;
    return COL_OK;

fail:
    line_editor_close(e);
    return col_fail(err, COL_NOMEM, "no memory for a line editor");
}

/* Writes one entry and its newline, escaped as history_unescape reads it. */
static void
history_write_entry(FILE *file, const char *text)
{
    for (const char *p = text; *p != '\0'; p++) {
        if (*p == '\n') {
            fputs("\\n", file);
        } else if (*p == '\\') {
            fputs("\\\\", file);
        } else {
            putc(*p, file);
        }
    }
    putc('\n', file);
}

/* Writes the history to PATH.tmp, then renames it over PATH. Failures are silent. */
static void
history_save(struct line_editor *e)
{
    size_t path_size = strlen(e->history_path);
    char *temp_path = malloc(path_size + sizeof(".tmp"));
    if (temp_path == NULL) {
        return;
    }
    memcpy(temp_path, e->history_path, path_size);
    memcpy(temp_path + path_size, ".tmp", sizeof(".tmp"));
    /* 0600: what a person typed can hold a password in a connection string. */
    int fd = open(temp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FILE *file = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (file == NULL) {
        if (fd >= 0) {
            close(fd);
            unlink(temp_path);
        }
        free(temp_path);
        return;
    }
    for (uint32_t i = 0; i < e->history_count; i++) {
        history_write_entry(file, *history_slot(e, i));
    }
    bool is_written = fflush(file) == 0 && !ferror(file) && fsync(fileno(file)) == 0;
    is_written = fclose(file) == 0 && is_written;
    if (!is_written || rename(temp_path, e->history_path) != 0) {
        unlink(temp_path);
    }
    free(temp_path);
}

void
line_editor_close(struct line_editor *e)
{
    if (e == NULL) {
        return;
    }
    assert(e->prompt == NULL); /* not closed from inside a read */
    if (e->history_path != NULL && e->may_save && e->history_max > 0) {
        history_save(e);
    }
    if (e->history != NULL) {
        for (uint32_t i = 0; i < e->history_count; i++) {
            free(*history_slot(e, i));
        }
    }
    free(e->history);
    free(e->history_path);
    free(e->line.bytes);
    free(e->screen);
    free(e->typed);
    free(e);
}
