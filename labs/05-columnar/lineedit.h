/* lineedit.h -- a small line editor with history for lab 05's SQL shell (keel-sql). Given code
 * (lineedit_given.c), built on libc and termios alone, so the kit needs no readline.
 *
 * On a terminal (stdin and stdout both ttys, TERM set and not "dumb") a line is edited in raw
 * mode, one line on the screen that scrolls sideways when the text is wider than the window:
 *   printable text               inserted at the cursor (UTF-8: a character is one column; a
 *                                tab is inserted as a space; bytes that are not UTF-8 dropped)
 *   Left, Right (Ctrl-B, Ctrl-F) one character
 *   Home, End (Ctrl-A, Ctrl-E)   the start, the end (ESC [ H / F, ESC O H / F, ESC [ 1~ / 4~)
 *   Backspace (0x7f or Ctrl-H)   delete the character before the cursor
 *   Delete (ESC [ 3~)            delete the character under the cursor
 *   Ctrl-D                       the same; on an empty line, the end of input
 *   Ctrl-K, Ctrl-U, Ctrl-W       kill to the end, to the start, the word before the cursor
 *   Up, Down (Ctrl-P, Ctrl-N)    older, newer history; the line being typed is kept as the
 *                                newest (an entry's newlines show as spaces, return as newlines)
 *   Ctrl-L                       clear the screen
 *   Ctrl-Z                       suspend, the terminal restored first
 *   Ctrl-C                       abandon the line: ^C, and an empty line is returned
 *   Enter (CR or Ctrl-J)         return the line
 * Other control keys and unknown escape sequences are ignored, never inserted. The terminal's
 * mode is restored before line_editor_read returns, on every path, and before the process
 * stops or dies of SIGINT, SIGTERM, SIGHUP, SIGQUIT or SIGTSTP arriving while it reads.
 * Anywhere else (a pipe, a file, a dumb terminal) a line is read as it is, of any length, so
 * a script piped into the shell runs unchanged.
 *
 * Memory: a line_editor owns its history (at most history_max strings) and a line buffer;
 * each line returned is the caller's. One editor reads at a time (the terminal is one). */
#ifndef KEEL_LINEEDIT_H
#define KEEL_LINEEDIT_H

#include "col.h"

/* Entries kept, the bound on history_max: 100,000 lines of a few hundred bytes is a history
 * file of tens of MB, read at every start. */
#define LINE_EDITOR_HISTORY_MAX 100000u
/* Bytes of a line typed at a terminal: a pasted statement of 16 MiB is far past any query of
 * the lab. Past it, keys that insert are ignored. Lines read from a pipe have no limit. */
#define LINE_EDITOR_LINE_SIZE_MAX (16u << 20)

struct line_editor;

/* Opens an editor keeping history_max entries (0: no history; at most
 * LINE_EDITOR_HISTORY_MAX), and loads the newest history_max lines of history_path when it
 * names a readable file. history_path may be NULL (no file); it is copied. A file that is
 * missing or unreadable is not an error: the history starts empty. On COL_OK *out is owned
 * (freed by line_editor_close). Returns COL_OK, COL_INVALID (history_max too big) or
 * COL_NOMEM. */
col_status line_editor_open(const char *history_path, uint32_t history_max,
                            struct line_editor **out, struct col_error *err);

/* Reads one line, without its newline, into *line: a NUL-terminated string the caller frees
 * (transferred on COL_OK only; a NUL byte read from a pipe ends the string early). prompt is
 * borrowed for the call and shown only on a terminal. Ctrl-C gives COL_OK and an empty line.
 * Returns COL_OK; COL_NOT_FOUND at the end of input (Ctrl-D on an empty line, or end of file
 * with nothing read; a last line without a newline is returned first); COL_IO when reading
 * or writing the terminal failed; COL_NOMEM. The terminal is in its own mode again on
 * return, whatever the status. O(keys typed x window width). */
col_status line_editor_read(struct line_editor *e, const char *prompt, char **line,
                            struct col_error *err);

/* Appends a copy of line to the history, the oldest entry dropped past history_max. An empty
 * line, and a repeat of the newest entry, are skipped, as is everything when out of memory
 * (history is a convenience). line is borrowed for the call. O(history_max). */
void line_editor_add_history(struct line_editor *e, const char *line);

/* Writes the history (its newest history_max entries, one a line; a newline inside an entry
 * is written as \n and a backslash as \\) to the file by a new file renamed over the old, so
 * a crash leaves the old one; the file is readable by its owner alone. Failing to write it is
 * silent: a shell exiting has no one to tell. Then frees e. e may be NULL. */
void line_editor_close(struct line_editor *e);

#endif
