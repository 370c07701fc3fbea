import type { Architecture } from '../kind';
import type { MarkerEnvironment } from './pep508';

/**
 * Facts about the AWS Lambda Python runtimes a layer targets. Adding a Python version to lamina means adding one
 * line here (and it then appears in the catalog schema).
 */

export interface PythonRuntime {
  /** Lambda runtime identifier. */
  runtime: string;
  /** `major.minor`. */
  pythonVersion: string;
  /**
   * The patch release Lambda runs. Only `python_full_version` markers read it; Lambda moves it forward over time,
   * so it is the release current when this table was written.
   */
  pythonFullVersion: string;
  /** glibc of the runtime's operating system: Amazon Linux 2 has 2.26, Amazon Linux 2023 has 2.34. */
  glibc: [number, number];
  os: 'Amazon Linux 2' | 'Amazon Linux 2023';
}

export const PYTHON_RUNTIMES = [
  { runtime: 'python3.9', pythonVersion: '3.9', pythonFullVersion: '3.9.23', glibc: [2, 26], os: 'Amazon Linux 2' },
  { runtime: 'python3.10', pythonVersion: '3.10', pythonFullVersion: '3.10.18', glibc: [2, 26], os: 'Amazon Linux 2' },
  { runtime: 'python3.11', pythonVersion: '3.11', pythonFullVersion: '3.11.13', glibc: [2, 26], os: 'Amazon Linux 2' },
  { runtime: 'python3.12', pythonVersion: '3.12', pythonFullVersion: '3.12.11', glibc: [2, 34], os: 'Amazon Linux 2023' },
  { runtime: 'python3.13', pythonVersion: '3.13', pythonFullVersion: '3.13.5', glibc: [2, 34], os: 'Amazon Linux 2023' },
  { runtime: 'python3.14', pythonVersion: '3.14', pythonFullVersion: '3.14.0', glibc: [2, 34], os: 'Amazon Linux 2023' },
] as const satisfies readonly PythonRuntime[];

export type PythonRuntimeId = (typeof PYTHON_RUNTIMES)[number]['runtime'];

export const PYTHON_RUNTIME_IDS = PYTHON_RUNTIMES.map((r) => r.runtime) as unknown as readonly [PythonRuntimeId, ...PythonRuntimeId[]];

/**
 * Distributions every Lambda Python runtime already has on sys.path (/var/runtime): the AWS SDK and what it
 * depends on. A layer may leave them out with `excludeRuntimeProvided`.
 */
export const RUNTIME_PROVIDED = ['boto3', 'botocore', 's3transfer', 'jmespath', 'python-dateutil', 'six', 'urllib3'] as const;

/** The runtime facts for a Lambda runtime identifier; throws for an unknown one. */
export function pythonRuntime(runtime: string): PythonRuntime {
  const found = PYTHON_RUNTIMES.find((r) => r.runtime === runtime);
  if (!found) {
    throw new Error(`unknown Python runtime ${JSON.stringify(runtime)}; lamina knows ${PYTHON_RUNTIME_IDS.join(', ')}`);
  }
  return found as PythonRuntime;
}

/** `platform_machine` as Python reports it on Lambda for an architecture. */
export function machineOf(architecture: Architecture): 'x86_64' | 'aarch64' {
  return architecture === 'arm64' ? 'aarch64' : 'x86_64';
}

/** The PEP 508 marker environment of a Lambda Python runtime on an architecture. */
export function markerEnvironment(pythonVersion: string, pythonFullVersion: string, architecture: Architecture): MarkerEnvironment {
  return {
    python_version: pythonVersion,
    python_full_version: pythonFullVersion,
    implementation_version: pythonFullVersion,
    implementation_name: 'cpython',
    platform_python_implementation: 'CPython',
    platform_machine: machineOf(architecture),
    platform_system: 'Linux',
    sys_platform: 'linux',
    os_name: 'posix',
    platform_release: '',
    platform_version: '',
    extra: '',
  };
}
