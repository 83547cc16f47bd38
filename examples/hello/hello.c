/*
 * hello.c - print the greeting from SYSCONFDIR/hello.conf, or a default.
 */
#include <stdio.h>
#include <string.h>

int
main(void)
{
	char line[256] = "hello, world\n";
	FILE *fp;

	if ((fp = fopen(SYSCONFDIR "/hello.conf", "r")) != NULL) {
		while (fgets(line, sizeof(line), fp) != NULL)
			if (line[0] != '#')
				break;
		fclose(fp);
	}
	fputs(line, stdout);
	return 0;
}
