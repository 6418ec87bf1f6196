// CustomSMSSender, written as Cognito's documentation writes it: the code is decrypted with the AWS
// Encryption SDK and a KMS keyring for KEY_ARN; instead of texting it, it appends {to, code} to the
// file in SENT_MESSAGES. It fails when the caller's ClientMetadata asks it to.
import fs from "node:fs";
import { buildClient, CommitmentPolicy, KmsKeyringNode } from "@aws-crypto/client-node";

const { decrypt } = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_ALLOW_DECRYPT);
const keyring = new KmsKeyringNode({ keyIds: [process.env.KEY_ARN] });

export const handler = async (event) => {
  if (event.request.type !== "customSMSSenderRequestV1") throw new Error(`Unexpected type ${event.request.type}`);
  if (event.request.clientMetadata?.fail === "throw") throw new Error("The SMS gateway is down");
  const { plaintext } = await decrypt(keyring, Buffer.from(event.request.code, "base64"));
  fs.appendFileSync(process.env.SENT_MESSAGES, JSON.stringify({
    to: event.request.userAttributes.phone_number, code: plaintext.toString("utf8"),
  }) + "\n");
  return event;
};
