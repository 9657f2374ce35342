import * as crypto from "crypto";
import { describe, expect, it } from "vitest";
import { parseS3Url, signV4, uriEncode } from "../../../scripts/lib/s3";

// AWS's worked examples ("Signature Calculations for the Authorization Header:
// Transferring Payload in a Single Chunk", Amazon S3 API reference).
const credentials = { accessKey: "AKIAIOSFODNN7EXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" };
const now = new Date("2013-05-24T00:00:00Z");
const host = "examplebucket.s3.amazonaws.com";
const EMPTY = crypto.createHash("sha256").update("").digest("hex");
const signature = (h: Record<string, string>) => h.authorization.split("Signature=")[1];

describe("S3 request signing (SigV4), for the history copy of npm run state -- migrate", () => {
    it("reproduces AWS's published example signatures", () => {
        expect(signature(signV4({ method: "GET", host, path: "/test.txt", headers: { Range: "bytes=0-9" }, payloadHash: EMPTY, region: "us-east-1", credentials, now }))).toBe("f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
        const body = crypto.createHash("sha256").update("Welcome to Amazon S3.").digest("hex");
        const put = signV4({ method: "PUT", host, path: `/${uriEncode("test$file.text", true)}`, headers: { Date: "Fri, 24 May 2013 00:00:00 GMT", "x-amz-storage-class": "REDUCED_REDUNDANCY" }, payloadHash: body, region: "us-east-1", credentials, now });
        expect(put.authorization).toBe("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
        expect(signature(signV4({ method: "GET", host, path: "/", query: { lifecycle: "" }, payloadHash: EMPTY, region: "us-east-1", credentials, now }))).toBe("fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
        expect(signature(signV4({ method: "GET", host, path: "/", query: { prefix: "J", "max-keys": "2" }, payloadHash: EMPTY, region: "us-east-1", credentials, now }))).toBe("34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
    });

    it("reads a Pulumi s3:// backend URL as the CLI does: endpoint scheme, path style, region, prefix", () => {
        expect(parseS3Url("s3://state?endpoint=nas.lan:9000&s3ForcePathStyle=true&region=eu-1&disableSSL=true")).toEqual({ bucket: "state", prefix: "", region: "eu-1", endpoint: "http://nas.lan:9000", pathStyle: true });
        expect(parseS3Url("s3://state/picluster?endpoint=http://127.0.0.1:9000&use_path_style=true", { AWS_REGION: "us-west-2" })).toMatchObject({ prefix: "picluster/", region: "us-west-2", endpoint: "http://127.0.0.1:9000" });
        expect(parseS3Url("s3://state?region=eu-central-1")).toMatchObject({ endpoint: "https://s3.eu-central-1.amazonaws.com", pathStyle: false });
    });
});
