#!/usr/bin/env python3
"""Cognito Sync driven by boto3's `cognito-sync` client, signed with temporary credentials from an
identity pool: two devices of one identity sync a dataset, hit a conflict and resolve it, remove a
record, delete and re-create the dataset; another identity is refused; limits, bad names and bad
tokens are refused and leave the data intact. Push: devices subscribe, connect to the WebSocket
with a URL presigned by botocore's SigV4QueryAuth (the `websockets` package), and the other device
is told of each change; a push gateway receives one POST per subscribed platform device.
Prints 'N passed, N failed'."""

import asyncio
import json
import os
import queue
import shutil
import signal
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import botocore.config
import websockets
from botocore.auth import SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from checks import Results, build_binary, check, error_code, free_port, start_server

REGION = "us-east-1"
ACCOUNT = "000000000000"
CONFIG = botocore.config.Config(retries={"max_attempts": 1})


class Gateway(BaseHTTPRequestHandler):
    """The push gateway (`/push`) and the stream sink (`/stream`): record what they are sent."""

    received = queue.Queue()
    streamed = []

    def log_message(self, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("content-length", "0"))
        body = json.loads(self.rfile.read(length))
        if self.path == "/stream":
            Gateway.streamed.append(body)
        else:
            Gateway.received.put(body)
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()


class Trigger(BaseHTTPRequestHandler):
    """The Sync trigger as a webhook: `/upper` upper-cases every new value and adds a record;
    `/garbage` answers something that is not a trigger result."""

    events = []

    def log_message(self, *args):
        pass

    def do_POST(self):
        event = json.loads(self.rfile.read(int(self.headers.get("content-length", "0"))))
        Trigger.events.append(json.loads(json.dumps(event)))
        if self.path == "/upper":
            for record in event["datasetRecords"].values():
                if record.get("newValue") is not None:
                    record["newValue"] = record["newValue"].upper()
            event["datasetRecords"]["audited"] = {"newValue": "yes", "op": "replace"}
            answer = event
        else:
            answer = {"nope": 1}
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def presigned_push_url(endpoint, creds, pool_id, identity_id, device_id, secret=None):
    credentials = Credentials(creds["AccessKeyId"], secret or creds["SecretKey"], creds["SessionToken"])
    query = f"IdentityPoolId={pool_id}&IdentityId={identity_id}&DeviceId={device_id}"
    request = AWSRequest(method="GET", url=f"{endpoint}/sync/push?{query}")
    SigV4QueryAuth(credentials, "cognito-sync", REGION, expires=300).add_auth(request)
    return request.url.replace("http://", "ws://", 1)


class PushListener:
    """A device's WebSocket connection, read on a background thread."""

    def __init__(self, url):
        self.messages = queue.Queue()
        self.ready = threading.Event()
        self.error = None
        self.thread = threading.Thread(target=lambda: asyncio.run(self._run(url)), daemon=True)
        self.thread.start()
        self.ready.wait(10)

    async def _run(self, url):
        try:
            async with websockets.connect(url) as socket:
                self.socket = socket
                first = json.loads(await socket.recv())
                self.ready.set() if first.get("type") == "ready" else None
                async for message in socket:
                    self.messages.put(json.loads(message))
        except Exception as error:  # noqa: BLE001
            self.error = error
            self.ready.set()

    def next(self, timeout):
        try:
            return self.messages.get(timeout=timeout)
        except queue.Empty:
            return None


def main():
    binary = build_binary()
    work = tempfile.mkdtemp(prefix="cognate-sync-")
    gateway = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=gateway.serve_forever, daemon=True).start()
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    server, _, key_id, secret = start_server(binary, os.path.join(work, "data"), port,
                                             extra_args=["--push-gateway-url", f"http://127.0.0.1:{gateway.server_address[1]}/push",
                                                         "--stream-sink-url", f"http://127.0.0.1:{gateway.server_address[1]}/stream"])

    def client(service, creds=None):
        if creds:
            keys = {"aws_access_key_id": creds["AccessKeyId"], "aws_secret_access_key": creds["SecretKey"],
                    "aws_session_token": creds["SessionToken"]}
        else:
            keys = {"aws_access_key_id": key_id, "aws_secret_access_key": secret}
        return boto3.client(service, region_name=REGION, endpoint_url=endpoint, config=CONFIG, **keys)

    try:
        identity, iam = client("cognito-identity"), client("iam")
        pool_id = identity.create_identity_pool(IdentityPoolName="sync", AllowUnauthenticatedIdentities=True)["IdentityPoolId"]
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                                                          "Action": "sts:AssumeRoleWithWebIdentity",
                                                          "Condition": {"StringEquals": {"cognito-identity.amazonaws.com:aud": pool_id}}}]}
        role_arn = iam.create_role(RoleName="syncer", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        own = f"arn:aws:cognito-sync:{REGION}:{ACCOUNT}:identitypool/${{cognito-identity.amazonaws.com:aud}}/identity/${{cognito-identity.amazonaws.com:sub}}"
        iam.put_role_policy(RoleName="syncer", PolicyName="own-data", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "cognito-sync:*", "Resource": [own, own + "/*"]},
                          {"Effect": "Deny", "Action": "cognito-sync:DeleteDataset", "Resource": own + "/dataset/locked"}],
        }))
        identity.set_identity_pool_roles(IdentityPoolId=pool_id, Roles={"unauthenticated": role_arn})

        def new_identity():
            identity_id = identity.get_id(IdentityPoolId=pool_id)["IdentityId"]
            creds = identity.get_credentials_for_identity(IdentityId=identity_id)["Credentials"]
            return identity_id, creds

        alice_id, alice_creds = new_identity()
        bob_id, bob_creds = new_identity()
        sync = client("cognito-sync", alice_creds)
        phone = sync.register_device(IdentityPoolId=pool_id, IdentityId=alice_id, Platform="GCM", Token="phone-token")["DeviceId"]
        tablet = sync.register_device(IdentityPoolId=pool_id, IdentityId=alice_id, Platform="APNS", Token="tablet-token")["DeviceId"]
        check("RegisterDevice gives each device its id, and the same id again for the same token",
              phone != tablet and sync.register_device(IdentityPoolId=pool_id, IdentityId=alice_id, Platform="GCM",
                                                       Token="phone-token")["DeviceId"] == phone)

        def records(last=0):
            return sync.list_records(IdentityPoolId=pool_id, IdentityId=alice_id, DatasetName="settings", LastSyncCount=last)

        empty = records()
        check("a dataset that does not exist lists as DatasetExists false with a session token",
              empty["DatasetExists"] is False and empty["Records"] == [] and empty["DatasetSyncCount"] == 0 and empty["SyncSessionToken"])

        # Push: both devices subscribe and connect; the tablet hears of the phone's changes.
        for device in (phone, tablet):
            sync.subscribe_to_dataset(IdentityPoolId=pool_id, IdentityId=alice_id, DatasetName="settings", DeviceId=device)
        phone_socket = PushListener(presigned_push_url(endpoint, alice_creds, pool_id, alice_id, phone))
        tablet_socket = PushListener(presigned_push_url(endpoint, alice_creds, pool_id, alice_id, tablet))
        check("both devices connect to the push WebSocket with presigned URLs",
              phone_socket.error is None and tablet_socket.error is None)

        # The phone writes two records.
        written = sync.update_records(IdentityPoolId=pool_id, IdentityId=alice_id, DatasetName="settings", DeviceId=phone,
                                      SyncSessionToken=empty["SyncSessionToken"], RecordPatches=[
                                          {"Op": "replace", "Key": "theme", "Value": "dark", "SyncCount": 0},
                                          {"Op": "replace", "Key": "volume", "Value": "3", "SyncCount": 0,
                                           "DeviceLastModifiedDate": 1767225600}])["Records"]
        check("UpdateRecords gives every record the dataset's new count",
              sorted((record["Key"], record["SyncCount"]) for record in written) == [("theme", 1), ("volume", 1)])
        notification = tablet_socket.next(5)
        check("the other device is notified with Cognito's push-sync fields",
              notification == {"source": "cognito-sync", "identityPoolId": pool_id, "identityId": alice_id,
                               "datasetName": "settings", "syncCount": 1})
        check("the device that made the change is not notified", phone_socket.next(0.5) is None)
        pushed = []
        deadline = time.time() + 5
        while time.time() < deadline and len(pushed) < 1:
            try:
                pushed.append(Gateway.received.get(timeout=0.5))
            except queue.Empty:
                pass
        check("the push gateway receives one POST for the other platform device",
              len(pushed) == 1 and pushed[0]["platform"] == "APNS" and pushed[0]["token"] == "tablet-token"
              and pushed[0]["payload"]["syncCount"] == 1)

        # The tablet pulls, then both edit the same record: the stale one conflicts.
        pulled = records()
        check("the other device pulls both records",
              pulled["DatasetSyncCount"] == 1 and {record["Key"]: record["Value"] for record in pulled["Records"]} == {"theme": "dark", "volume": "3"})
        check("DeviceLastModifiedDate is echoed back",
              [record for record in pulled["Records"] if record["Key"] == "volume"][0]["DeviceLastModifiedDate"].year == 2026)
        sync.update_records(IdentityPoolId=pool_id, IdentityId=alice_id, DatasetName="settings", DeviceId=phone,
                            SyncSessionToken=records()["SyncSessionToken"],
                            RecordPatches=[{"Op": "replace", "Key": "theme", "Value": "light", "SyncCount": 1}])
        code, status = error_code(lambda: sync.update_records(
            IdentityPoolId=pool_id, IdentityId=alice_id, DatasetName="settings", DeviceId=tablet,
            SyncSessionToken=pulled["SyncSessionToken"],
            RecordPatches=[{"Op": "replace", "Key": "theme", "Value": "blue", "SyncCount": 1},
                           {"Op": "replace", "Key": "font", "Value": "serif", "SyncCount": 0}]))
        check(f"a stale SyncCount is ResourceConflictException ({code}, {status})", code == "ResourceConflictException" and status == 409)
        after_conflict = records()
        check("a conflicting request changes nothing",
              {record["Key"]: record.get("Value") for record in after_conflict["Records"]} == {"theme": "light", "volume": "3"}
              and after_conflict["DatasetSyncCount"] == 2)
        resolved = sync.update_records(IdentityPoolId=pool_id, IdentityId=alice_id, DatasetName="settings", DeviceId=tablet,
                                       SyncSessionToken=after_conflict["SyncSessionToken"],
                                       RecordPatches=[{"Op": "replace", "Key": "theme", "Value": "blue", "SyncCount": 2},
                                                      {"Op": "remove", "Key": "volume", "SyncCount": 1}])["Records"]
        check("the resolved change applies", sorted((record["Key"], record["SyncCount"]) for record in resolved) == [("theme", 3), ("volume", 3)])
        delta = records(last=2)
        check("ListRecords since a count returns the changes, removals as tombstones",
              {record["Key"]: record.get("Value") for record in delta["Records"]} == {"theme": "blue", "volume": None})
        check("the phone is told of the tablet's change", any(message and message["syncCount"] == 3
                                                              for message in [phone_socket.next(5)]))

        while tablet_socket.next(0.3) is not None:
            pass  # the notifications of earlier changes
        sync.unsubscribe_from_dataset(IdentityPoolId=pool_id, IdentityId=alice_id, DatasetName="settings", DeviceId=tablet)
        current = records()
        sync.update_records(IdentityPoolId=pool_id, IdentityId=alice_id, DatasetName="settings", DeviceId=phone,
                            SyncSessionToken=current["SyncSessionToken"],
                            RecordPatches=[{"Op": "replace", "Key": "font", "Value": "serif", "SyncCount": 0}])
        check("a device that unsubscribed is no longer notified", tablet_socket.next(1.0) is None)
        sync.subscribe_to_dataset(IdentityPoolId=pool_id, IdentityId=alice_id, DatasetName="settings", DeviceId=tablet)
        sync.update_records(IdentityPoolId=pool_id, IdentityId=alice_id, DatasetName="settings", DeviceId=phone,
                            SyncSessionToken=current["SyncSessionToken"],
                            RecordPatches=[{"Op": "remove", "Key": "font", "SyncCount": current["DatasetSyncCount"] + 1}])
        check("subscribing again brings notifications back", (tablet_socket.next(5) or {}).get("syncCount") == current["DatasetSyncCount"] + 2)

        described = sync.describe_dataset(IdentityPoolId=pool_id, IdentityId=alice_id, DatasetName="settings")["Dataset"]
        check("DescribeDataset counts live records and bytes", described["NumRecords"] == 1 and described["DataStorage"] == len("theme") + len("blue"))
        pool_usage = client("cognito-sync").describe_identity_pool_usage(IdentityPoolId=pool_id)["IdentityPoolUsage"]
        check("DescribeIdentityPoolUsage sums the pool's storage", pool_usage["DataStorage"] == described["DataStorage"])
        check("ListDatasets lists it", [d["DatasetName"] for d in sync.list_datasets(IdentityPoolId=pool_id, IdentityId=alice_id)["Datasets"]] == ["settings"])
        usage = sync.describe_identity_usage(IdentityPoolId=pool_id, IdentityId=alice_id)["IdentityUsage"]
        check("DescribeIdentityUsage counts datasets", usage["DatasetCount"] == 1 and usage["DataStorage"] == 9)

        # Another identity is refused, with its own credentials, on alice's data.
        bob_sync = client("cognito-sync", bob_creds)
        code, status = error_code(lambda: bob_sync.list_records(IdentityPoolId=pool_id, IdentityId=alice_id, DatasetName="settings"))
        check(f"another identity cannot read the dataset ({code}, {status})", code == "NotAuthorizedException" and status == 403)
        code, _ = error_code(lambda: bob_sync.update_records(IdentityPoolId=pool_id, IdentityId=alice_id, DatasetName="settings",
                                                             SyncSessionToken=records()["SyncSessionToken"],
                                                             RecordPatches=[{"Op": "replace", "Key": "x", "Value": "y", "SyncCount": 0}]))
        check(f"another identity cannot write it ({code})", code == "NotAuthorizedException")
        code, _ = error_code(lambda: client("cognito-sync", bob_creds).get_identity_pool_configuration(IdentityPoolId=pool_id))
        check(f"identity credentials cannot reach developer operations ({code})", code == "NotAuthorizedException")
        refused = PushListener(presigned_push_url(endpoint, alice_creds, pool_id, alice_id, phone, secret="x" * 40))
        check("a push URL signed with a wrong secret is refused before the upgrade",
              refused.error is not None and "403" in str(refused.error))
        intruder = PushListener(presigned_push_url(endpoint, bob_creds, pool_id, alice_id, phone))
        check("another identity cannot listen to alice's devices", intruder.error is not None and "403" in str(intruder.error))

        # Bad input is refused and leaves the data intact.
        token = records()["SyncSessionToken"]
        code, _ = error_code(lambda: sync.list_records(IdentityPoolId=pool_id, IdentityId=alice_id, DatasetName="bad!name"))
        check(f"a bad dataset name is InvalidParameterException ({code})", code == "InvalidParameterException")
        code, _ = error_code(lambda: sync.update_records(IdentityPoolId=pool_id, IdentityId=alice_id, DatasetName="settings",
                                                         SyncSessionToken="forged-token",
                                                         RecordPatches=[{"Op": "replace", "Key": "x", "Value": "y", "SyncCount": 0}]))
        check(f"a forged session token is refused ({code})", code == "InvalidParameterException")
        other_token = sync.list_records(IdentityPoolId=pool_id, IdentityId=alice_id, DatasetName="other")["SyncSessionToken"]
        code, _ = error_code(lambda: sync.update_records(IdentityPoolId=pool_id, IdentityId=alice_id, DatasetName="settings",
                                                         SyncSessionToken=other_token,
                                                         RecordPatches=[{"Op": "replace", "Key": "x", "Value": "y", "SyncCount": 0}]))
        check(f"a session token of another dataset is refused ({code})", code == "InvalidParameterException")
        big = "v" * 600_000
        sync.update_records(IdentityPoolId=pool_id, IdentityId=alice_id, DatasetName="settings", SyncSessionToken=token,
                            RecordPatches=[{"Op": "replace", "Key": "big1", "Value": big, "SyncCount": 0}])
        code, _ = error_code(lambda: sync.update_records(IdentityPoolId=pool_id, IdentityId=alice_id, DatasetName="settings",
                                                         SyncSessionToken=token,
                                                         RecordPatches=[{"Op": "replace", "Key": "big2", "Value": big, "SyncCount": 0}]))
        check(f"more than 1 MB in a dataset is LimitExceededException ({code})", code == "LimitExceededException")
        check("the refused write left no trace", "big2" not in {record["Key"] for record in records()["Records"]})
        for index in range(19):
            dataset = f"extra{index}"
            sync.update_records(IdentityPoolId=pool_id, IdentityId=alice_id, DatasetName=dataset,
                                SyncSessionToken=sync.list_records(IdentityPoolId=pool_id, IdentityId=alice_id, DatasetName=dataset)["SyncSessionToken"],
                                RecordPatches=[{"Op": "replace", "Key": "k", "Value": "v", "SyncCount": 0}])
        code, _ = error_code(lambda: sync.update_records(
            IdentityPoolId=pool_id, IdentityId=alice_id, DatasetName="one-too-many",
            SyncSessionToken=sync.list_records(IdentityPoolId=pool_id, IdentityId=alice_id, DatasetName="one-too-many")["SyncSessionToken"],
            RecordPatches=[{"Op": "replace", "Key": "k", "Value": "v", "SyncCount": 0}]))
        check(f"a 21st dataset is LimitExceededException ({code})", code == "LimitExceededException")

        # Deleting and re-creating a dataset.
        before_delete = records()["DatasetSyncCount"]
        sync.delete_dataset(IdentityPoolId=pool_id, IdentityId=alice_id, DatasetName="settings")
        code, status = error_code(lambda: sync.describe_dataset(IdentityPoolId=pool_id, IdentityId=alice_id, DatasetName="settings"))
        check(f"a deleted dataset is ResourceNotFoundException ({code}, {status})", code == "ResourceNotFoundException" and status == 404)
        gone = records(last=before_delete)
        check("a device that synced before the deletion is told to purge",
              gone["DatasetExists"] is False and gone["DatasetDeletedAfterRequestedSyncCount"] is True and gone["Records"] == [])
        again = sync.update_records(IdentityPoolId=pool_id, IdentityId=alice_id, DatasetName="settings", SyncSessionToken=gone["SyncSessionToken"],
                                    RecordPatches=[{"Op": "replace", "Key": "theme", "Value": "green", "SyncCount": 0}])["Records"]
        fresh = records()
        check("the dataset is re-created by UpdateRecords with only the new record",
              again[0]["SyncCount"] > before_delete and fresh["DatasetExists"] is True
              and [(record["Key"], record.get("Value")) for record in fresh["Records"]] == [("theme", "green")])
        code, _ = error_code(lambda: sync.delete_dataset(IdentityPoolId=pool_id, IdentityId=alice_id, DatasetName="locked"))
        check(f"a Deny in the role's policy refuses the operation ({code})", code in ("NotAuthorizedException",))

        # The Sync trigger, as a webhook.
        root_sync = client("cognito-sync")
        trigger = ThreadingHTTPServer(("127.0.0.1", 0), Trigger)
        threading.Thread(target=trigger.serve_forever, daemon=True).start()
        hook = f"http://127.0.0.1:{trigger.server_address[1]}"
        root_sync.set_cognito_events(IdentityPoolId=pool_id, Events={"SyncTrigger": f"{hook}/upper"})
        check("GetCognitoEvents reads the trigger back",
              root_sync.get_cognito_events(IdentityPoolId=pool_id)["Events"] == {"SyncTrigger": f"{hook}/upper"})
        current = records()
        theme_count = [record["SyncCount"] for record in current["Records"] if record["Key"] == "theme"][0]
        triggered = sync.update_records(IdentityPoolId=pool_id, IdentityId=alice_id, DatasetName="settings",
                                        SyncSessionToken=current["SyncSessionToken"],
                                        RecordPatches=[{"Op": "replace", "Key": "theme", "Value": "purple", "SyncCount": theme_count}])["Records"]
        event = Trigger.events[-1] if Trigger.events else {}
        check("the trigger receives Cognito's SyncTrigger event",
              event.get("eventType") == "SyncTrigger" and event.get("version") == 2 and event.get("identityId") == alice_id
              and event.get("datasetRecords", {}).get("theme") == {"oldValue": "green", "newValue": "purple", "op": "replace"})
        check("the records the trigger answers are the ones stored",
              {record["Key"]: record["Value"] for record in triggered} == {"theme": "PURPLE", "audited": "yes"})
        root_sync.set_cognito_events(IdentityPoolId=pool_id, Events={"SyncTrigger": f"{hook}/garbage"})
        current = records()
        code, _ = error_code(lambda: sync.update_records(IdentityPoolId=pool_id, IdentityId=alice_id, DatasetName="settings",
                                                         SyncSessionToken=current["SyncSessionToken"],
                                                         RecordPatches=[{"Op": "replace", "Key": "theme", "Value": "x", "SyncCount": current["DatasetSyncCount"]}]))
        check(f"a trigger answer that is not a result is InvalidLambdaFunctionOutputException ({code})", code == "InvalidLambdaFunctionOutputException")
        check("and nothing was written", records()["DatasetSyncCount"] == current["DatasetSyncCount"])
        root_sync.set_cognito_events(IdentityPoolId=pool_id, Events={"SyncTrigger": ""})
        trigger.shutdown()

        # Developer operations with the root credentials.
        root_sync.set_identity_pool_configuration(IdentityPoolId=pool_id, PushSync={"ApplicationArns": ["arn:aws:sns:us-east-1:000000000000:app/GCM/x"],
                                                                                     "RoleArn": role_arn})
        configuration = root_sync.get_identity_pool_configuration(IdentityPoolId=pool_id)
        check("Set/GetIdentityPoolConfiguration round-trip", configuration["PushSync"]["RoleArn"] == role_arn)
        usages = root_sync.list_identity_pool_usage(MaxResults=10)["IdentityPoolUsages"]
        check("ListIdentityPoolUsage with developer credentials", any(usage["IdentityPoolId"] == pool_id for usage in usages))
        check("the developer reads any identity's records",
              root_sync.list_records(IdentityPoolId=pool_id, IdentityId=alice_id, DatasetName="settings")["DatasetSyncCount"]
              == records()["DatasetSyncCount"])
        code, _ = error_code(lambda: root_sync.register_device(IdentityPoolId=pool_id, IdentityId=alice_id, Platform="GCM", Token="t"))
        check(f"RegisterDevice needs the identity's own credentials ({code})", code == "NotAuthorizedException")

        # Merged identities keep both sets of datasets.
        merge_pool = identity.create_identity_pool(IdentityPoolName="merge", AllowUnauthenticatedIdentities=False,
                                                   DeveloperProviderName="login.merge")["IdentityPoolId"]
        first = identity.get_open_id_token_for_developer_identity(IdentityPoolId=merge_pool, Logins={"login.merge": "u1"})["IdentityId"]
        second = identity.get_open_id_token_for_developer_identity(IdentityPoolId=merge_pool, Logins={"login.merge": "u2"})["IdentityId"]

        def put(identity_id, dataset, key, value):
            token = root_sync.list_records(IdentityPoolId=merge_pool, IdentityId=identity_id, DatasetName=dataset)["SyncSessionToken"]
            root_sync.update_records(IdentityPoolId=merge_pool, IdentityId=identity_id, DatasetName=dataset, SyncSessionToken=token,
                                     RecordPatches=[{"Op": "replace", "Key": key, "Value": value, "SyncCount": 0}])

        put(first, "prefs", "a", "1")
        put(second, "prefs", "b", "2")
        put(second, "other", "c", "3")
        identity.merge_developer_identities(SourceUserIdentifier="u2", DestinationUserIdentifier="u1",
                                            DeveloperProviderName="login.merge", IdentityPoolId=merge_pool)

        def values(dataset):
            listed = root_sync.list_records(IdentityPoolId=merge_pool, IdentityId=first, DatasetName=dataset)
            return {record["Key"]: record.get("Value") for record in listed["Records"]}, listed.get("MergedDatasetNames", [])

        prefs, merged_names = values("prefs")
        check("after a merge the destination keeps its own dataset and names the merged one",
              prefs == {"a": "1"} and merged_names == [f"prefs.{second}"])
        check("the merged dataset holds the source's records", values(f"prefs.{second}")[0] == {"b": "2"})
        check("a dataset name the destination did not use moves as it is", values("other")[0] == {"c": "3"})

        # Streams and bulk publish, to the stream sink.
        code, _ = error_code(lambda: root_sync.bulk_publish(IdentityPoolId=pool_id))
        check(f"BulkPublish without CognitoStreams is InvalidConfigurationException ({code})", code == "InvalidConfigurationException")
        root_sync.set_identity_pool_configuration(IdentityPoolId=pool_id, CognitoStreams={
            "StreamName": "sync-stream", "RoleArn": role_arn, "StreamingStatus": "ENABLED"})
        current = records()
        sync.update_records(IdentityPoolId=pool_id, IdentityId=alice_id, DatasetName="settings", SyncSessionToken=current["SyncSessionToken"],
                            RecordPatches=[{"Op": "replace", "Key": "streamed", "Value": "yes", "SyncCount": 0}])
        deadline = time.time() + 5
        while time.time() < deadline and not Gateway.streamed:
            time.sleep(0.1)
        streamed = Gateway.streamed[0] if Gateway.streamed else {}
        check("an enabled stream receives each change as Cognito's stream record",
              streamed.get("streamName") == "sync-stream" and streamed.get("dataSetName") == "settings"
              and streamed.get("identityId") == alice_id
              and [(entry["key"], entry["value"], entry["op"]) for entry in streamed.get("kinesisSyncRecords", [])] == [("streamed", "yes", "replace")])
        Gateway.streamed.clear()
        check("BulkPublish starts", root_sync.bulk_publish(IdentityPoolId=pool_id)["IdentityPoolId"] == pool_id)
        deadline = time.time() + 10
        details = {}
        while time.time() < deadline:
            details = root_sync.get_bulk_publish_details(IdentityPoolId=pool_id)
            if details["BulkPublishStatus"] in ("SUCCEEDED", "FAILED"):
                break
            time.sleep(0.1)
        published = {entry["dataSetName"] for entry in Gateway.streamed}
        check(f"BulkPublish sends every dataset of the pool ({details.get('BulkPublishStatus')}, {len(published)} datasets)",
              details.get("BulkPublishStatus") == "SUCCEEDED" and len(published) == 20 and "settings" in published
              and details["BulkPublishCompleteTime"] >= details["BulkPublishStartTime"])
        code, _ = error_code(lambda: root_sync.bulk_publish(IdentityPoolId=pool_id))
        check(f"a second BulkPublish the same day is AlreadyStreamedException ({code})", code == "AlreadyStreamedException")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)
        gateway.shutdown()
        shutil.rmtree(work, ignore_errors=True)
    print(f"sync flows: {Results.passed} passed, {Results.failed} failed")
    return 1 if Results.failed else 0


if __name__ == "__main__":
    sys.exit(main())
