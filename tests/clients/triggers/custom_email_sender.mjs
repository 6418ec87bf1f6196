// CustomEmailSender, written as Cognito's documentation writes it: the code arrives encrypted with
// the AWS Encryption SDK under the pool's KMS key, and is decrypted with a KMS keyring for the key
// in KEY_ARN (KMS reached as the AWS SDK reaches it, here at AWS_ENDPOINT_URL_KMS). Instead of
// mailing the code, it appends {to, code} to the file in SENT_MESSAGES, where the test reads it.
import fs from "node:fs";
import { buildClient, CommitmentPolicy, KmsKeyringNode } from "@aws-crypto/client-node";

const { decrypt } = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_ALLOW_DECRYPT);
const keyring = new KmsKeyringNode({ keyIds: [process.env.KEY_ARN] });

export const handler = async (event) => {
  if (event.request.type !== "customEmailSenderRequestV1") throw new Error(`Unexpected type ${event.request.type}`);
  const { plaintext, messageHeader } = await decrypt(keyring, Buffer.from(event.request.code, "base64"));
  fs.appendFileSync(process.env.SENT_MESSAGES, JSON.stringify({
    to: event.request.userAttributes.email, code: plaintext.toString("utf8"), context: messageHeader.encryptionContext,
  }) + "\n");
  return event;
};
