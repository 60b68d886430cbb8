import { describe, expect, it } from "bun:test";
import { checkedAddresses, isPublicAddress, SsrfRefused, type Resolve } from "../../src/oauth/ssrf.ts";

// The SSRF guard in front of CIMD fetches: address classification, and the resolve-then-check-every-
// address rule, with the resolver passed in so DNS answers are whatever the test says.

describe("isPublicAddress", () => {
  it("refuses private, loopback, link-local, reserved and special-purpose IPv4", () => {
    for (const ip of ["0.0.0.0", "10.1.2.3", "100.64.0.1", "127.0.0.1", "127.255.255.254", "169.254.169.254", "172.16.0.1", "172.31.255.255", "192.0.2.2", "192.168.1.1", "198.18.0.1", "224.0.0.1", "255.255.255.255"]) {
      expect({ ip, pub: isPublicAddress(ip) }).toEqual({ ip, pub: false });
    }
  });

  it("accepts public IPv4", () => {
    for (const ip of ["93.184.216.34", "8.8.8.8", "172.32.0.1", "1.1.1.1", "100.128.0.1"]) expect({ ip, pub: isPublicAddress(ip) }).toEqual({ ip, pub: true });
  });

  it("refuses IPv6 loopback, unique-local, link-local, multicast, documentation and mapped private IPv4", () => {
    for (const ip of ["::", "::1", "[::1]", "fc00::1", "fd12:3456::1", "fe80::1%eth0", "ff02::1", "2001:db8::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::a00:1", "2002:a00:1::1"]) {
      expect({ ip, pub: isPublicAddress(ip) }).toEqual({ ip, pub: false });
    }
  });

  it("accepts public IPv6, including mapped public IPv4", () => {
    for (const ip of ["2606:4700:4700::1111", "2a00:1450:4001:80b::200e", "::ffff:8.8.8.8"]) expect({ ip, pub: isPublicAddress(ip) }).toEqual({ ip, pub: true });
  });

  it("refuses what is not an address", () => {
    for (const ip of ["", "localhost", "1.2.3", "example.com"]) expect(isPublicAddress(ip)).toBe(false);
  });
});

describe("checkedAddresses", () => {
  const resolver = (answers: Record<string, string[]>): Resolve => async (h) => {
    const a = answers[h];
    if (!a) throw new Error("ENOTFOUND");
    return a;
  };

  it("returns every address of a public name", async () => {
    expect(await checkedAddresses("client.example", { resolve: resolver({ "client.example": ["93.184.216.34", "2606:4700::1"] }), allowPrivate: false })).toEqual(["93.184.216.34", "2606:4700::1"]);
  });

  it("refuses a name with any private address among its answers (start mode)", async () => {
    const policy = { resolve: resolver({ "rebind.example": ["93.184.216.34", "10.0.0.5"] }), allowPrivate: false };
    await expect(checkedAddresses("rebind.example", policy)).rejects.toBeInstanceOf(SsrfRefused);
  });

  it("refuses private IP literals without resolving them", async () => {
    let asked = false;
    const policy = { resolve: async () => ((asked = true), []), allowPrivate: false };
    await expect(checkedAddresses("169.254.169.254", policy)).rejects.toThrow("not a public address");
    await expect(checkedAddresses("[::1]", policy)).rejects.toBeInstanceOf(SsrfRefused);
    expect(asked).toBe(false);
  });

  it("allows loopback and private targets in dev mode", async () => {
    expect(await checkedAddresses("127.0.0.1", { resolve: resolver({}), allowPrivate: true })).toEqual(["127.0.0.1"]);
  });

  it("refuses names that do not resolve", async () => {
    await expect(checkedAddresses("nowhere.example", { resolve: resolver({}), allowPrivate: false })).rejects.toThrow("cannot resolve");
    await expect(checkedAddresses("empty.example", { resolve: resolver({ "empty.example": [] }), allowPrivate: false })).rejects.toThrow("no addresses");
  });
});
