/** The part of npm's own platform/engines checks that lamina uses (npm-install-checks ships no types). */
declare module 'npm-install-checks' {
  export function checkPlatform(
    target: { os?: string | string[]; cpu?: string | string[]; libc?: string | string[]; _id?: string },
    force?: boolean,
    environment?: { os?: string; cpu?: string; libc?: string },
  ): void;
}
