#!/bin/sh
# Copy the mounted hotline configuration into /etc/asterisk and write the secrets that
# must not live in the repository: the AMI user's secret and one password per seat.
set -eu
SRC=${HOTLINE_CONFIG_DIR:-/etc/asterisk-hotline}
: "${CONTACTCENTER_AMI_SECRET:?set CONTACTCENTER_AMI_SECRET in docker/.env}"
: "${CONTACTCENTER_SEAT_SECRET:?set CONTACTCENTER_SEAT_SECRET in docker/.env}"
cp "$SRC"/*.conf /etc/asterisk/
umask 077
printf 'secret = %s\n' "$CONTACTCENTER_AMI_SECRET" > /etc/asterisk/manager_secrets.conf
: > /etc/asterisk/pjsip_auth.conf
for n in $(seq 8001 8060); do
    # each seat gets its own password, derived from the one secret
    pw=$(printf '%s:%s' "$CONTACTCENTER_SEAT_SECRET" "$n" | sha256sum | cut -c1-20)
    printf '[%s-auth](seat-auth)\nusername = %s\npassword = %s\n\n' "$n" "$n" "$pw" >> /etc/asterisk/pjsip_auth.conf
done
chown asterisk:asterisk /etc/asterisk/manager_secrets.conf /etc/asterisk/pjsip_auth.conf
exec "$@"
