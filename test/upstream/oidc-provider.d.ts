// The part of node-oidc-provider's API these tests use (the package ships no type declarations).
declare module "oidc-provider" {
  interface TokenModel {
    grantId?: string;
    destroy(): Promise<void>;
  }
  interface TokenModelClass {
    find(value: string): Promise<TokenModel | undefined>;
    revokeByGrantId(grantId: string): Promise<void>;
  }
  export default class Provider {
    constructor(issuer: string, configuration: unknown);
    callback(): (req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => void;
    on(event: string, listener: (...args: never[]) => void): this;
    readonly AccessToken: TokenModelClass;
    readonly RefreshToken: TokenModelClass;
    readonly AuthorizationCode: TokenModelClass;
    readonly Grant: { find(id: string): Promise<TokenModel | undefined> };
  }
}
