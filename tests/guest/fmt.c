/* testos: printf-style formatting into a buffer (no floating point, no allocation). */
#include "fmt.h"

#include <stdint.h>

struct out {
	char *buf;
	size_t cap, len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->cap)
		o->buf[o->len++] = c;
}

static void put_number(struct out *o, uint64_t v, unsigned base, int neg, unsigned width,
		       char pad)
{
	char digits[24];
	unsigned n = 0;

	do {
		digits[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg && pad == '0')
		put(o, '-');
	for (unsigned i = n + (neg != 0); i < width; i++)
		put(o, pad);
	if (neg && pad != '0')
		put(o, '-');
	while (n)
		put(o, digits[--n]);
}

size_t vformat(char *buf, size_t cap, const char *fmt, va_list ap)
{
	struct out o = { buf, cap, 0 };

	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		char pad = ' ';
		unsigned width = 0, longs = 0;
		size_t precision = (size_t)-1; /* %.*s: at most this many characters */
		if (*++fmt == '0') {
			pad = '0';
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (unsigned)(*fmt++ - '0');
		if (fmt[0] == '.' && fmt[1] == '*') {
			int p = va_arg(ap, int);
			precision = p < 0 ? (size_t)-1 : (size_t)p;
			fmt += 2;
		}
		while (*fmt == 'l') {
			longs++;
			fmt++;
		}
		switch (*fmt) {
		case 'd': {
			int64_t v = longs ? va_arg(ap, long) : va_arg(ap, int);
			put_number(&o, v < 0 ? -(uint64_t)v : (uint64_t)v, 10, v < 0, width, pad);
			break;
		}
		case 'u':
		case 'x': {
			uint64_t v = longs ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
			put_number(&o, v, *fmt == 'u' ? 10 : 16, 0, width, pad);
			break;
		}
		case 'p':
			put(&o, '0');
			put(&o, 'x');
			put_number(&o, (uintptr_t)va_arg(ap, void *), 16, 0, 16, '0');
			break;
		case 'c':
			put(&o, (char)va_arg(ap, int));
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			size_t n = 0;
			if (!s)
				s = "(null)";
			while (n < precision && s[n])
				n++;
			for (size_t i = n; i < width; i++)
				put(&o, ' ');
			for (size_t i = 0; i < n; i++)
				put(&o, s[i]);
			break;
		}
		case '%':
			put(&o, '%');
			break;
		default: /* unknown conversion: show it rather than guess */
			put(&o, '%');
			if (!*fmt)
				goto done;
			put(&o, *fmt);
		}
	}
done:
	if (cap)
		buf[o.len] = '\0';
	return o.len;
}

size_t snformat(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	size_t n = vformat(buf, cap, fmt, ap);
	va_end(ap);
	return n;
}
