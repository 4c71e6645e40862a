/*
 * opt.h - what the two programs share on their command lines.
 */
#ifndef OPT_H
#define OPT_H

#define ECHO_KIT_VERSION "1.0.0"

/* The port of the classic text's examples (UNP's SERV_PORT). */
#define DEFAULT_PORT "9877"

/*
 * parse_number: s, digits only, as a decimal number within [min, max].
 * Returns 0 and sets *out, or -1 when s is empty, has anything but digits,
 * or is out of range.
 */
int parse_number(const char *s, long min, long max, long *out);

#endif
