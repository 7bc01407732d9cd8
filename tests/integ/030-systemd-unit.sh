#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 030-systemd-unit: xfs_hsmd@.service is a valid unit for an escaped mount
# path (systemd-analyze verify, with a mount unit for the instance), of
# Type=notify, bound to its mount and ordered after it and before
# local-fs.target, with a descriptor store for the fanotify group and the
# event table, restarted without limit.

. "$(dirname "$0")/../common/preamble"

_require_cmd systemd-analyze systemd-escape
unit=$HSM_BUILDDIR/systemd/xfs_hsmd@.service
[ -f "$unit" ] || _notrun "$unit not built"

d=$TEST_DIR/units
mkdir -p $d
inst=$(systemd-escape -p /srv/hsm-data)
echo "instance: $inst"
# the daemon as installed is not there yet: point ExecStart at the build
sed "s|^ExecStart=[^ ]*|ExecStart=$(command -v true)|" "$unit" > "$d/xfs_hsmd@.service"
printf '[Unit]\nDescription=test mount\n[Mount]\nWhat=/dev/null\nWhere=/srv/hsm-data\nType=xfs\n' \
	> "$d/$inst.mount"
(cd $d && SYSTEMD_UNIT_PATH=$d: systemd-analyze verify --man=no \
	"$d/xfs_hsmd@$inst.service") > $tmp.verify 2>&1
echo "verify exit=$?"
cat $tmp.verify
grep -E '^(Type|NotifyAccess|BindsTo|After|Before|WantedBy|KillMode|FileDescriptorStoreMax|StartLimitIntervalSec)=' "$unit"
grep -c "ExecStart=.*/xfs_hsmd -f %f" "$unit"

status=0
exit
