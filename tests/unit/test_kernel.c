// SPDX-License-Identifier: GPL-2.0
/* user/load/kernel.c: which uevents tell of a module coming or going. */
#include <sys/socket.h>
#include <unistd.h>
#include "harness.h"
#include "kernel.h"

/* One uevent as the kernel sends it: "ACTION@DEVPATH" and KEY=VALUE
 * strings, each NUL-terminated, in one datagram. */
static void send_uevent(int fd, const char *msg, size_t len)
{
	ASSERT_EQ(send(fd, msg, len, 0), (int64_t)len, "send");
}

#define UEVENT(fd, s) send_uevent(fd, s, sizeof(s))

static void test_modules_event(void)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv)) {
		CHECK(0, "socketpair");
		return;
	}
	ASSERT_TRUE(!kernel__modules_event(sv[0]), "nothing queued");
	UEVENT(sv[1], "add@/module/dummy\0ACTION=add\0DEVPATH=/module/dummy\0SUBSYSTEM=module");
	ASSERT_TRUE(kernel__modules_event(sv[0]), "a module loaded");
	ASSERT_TRUE(!kernel__modules_event(sv[0]), "read: nothing left");
	UEVENT(sv[1], "remove@/module/vfio_pci\0ACTION=remove\0SUBSYSTEM=module");
	ASSERT_TRUE(kernel__modules_event(sv[0]), "a module unloaded");
	UEVENT(sv[1], "change@/devices/virtual/net/lo\0ACTION=change\0SUBSYSTEM=net");
	UEVENT(sv[1], "add@/devices/virtual/misc/module\0ACTION=add\0SUBSYSTEM=misc");
	UEVENT(sv[1], "no at sign /module/x");
	ASSERT_TRUE(!kernel__modules_event(sv[0]), "other devices, a misc node named module");
	UEVENT(sv[1], "change@/devices/virtual/net/lo\0ACTION=change\0SUBSYSTEM=net");
	UEVENT(sv[1], "add@/module/veth\0ACTION=add\0SUBSYSTEM=module");
	UEVENT(sv[1], "change@/devices/virtual/net/lo\0ACTION=change\0SUBSYSTEM=net");
	ASSERT_TRUE(kernel__modules_event(sv[0]), "a module among others");
	ASSERT_TRUE(!kernel__modules_event(sv[0]), "all of them read");
	close(sv[0]);
	close(sv[1]);
}

static void test_modules_watch(void)
{
	int fd = kernel__modules_watch();

	CHECK(fd >= 0, "NETLINK_KOBJECT_UEVENT: %d", fd);
	if (fd >= 0)
		close(fd);
}

int main(void)
{
	TEST(modules_event) test_modules_event();
	TEST(modules_watch) test_modules_watch();
	return harness_done("kernel");
}
