#!/usr/bin/env bash
# Installs what the PowerShell tests need into the project's .tools/ folder (ignored by git):
#   - PowerShell 7.6.10 as a .NET tool (7.7.0 does not run on the .NET 10 SDK, so the version is named);
#   - the Pester 5.7.1 module, restored from NuGet through a throwaway project;
#   - PowerShell's own assemblies precompiled to native code (ReadyToRun). The tool package ships
#     them as IL only, so every pwsh start compiles the engine again (about 1.7 s of CPU here,
#     against 0.6 s precompiled) and the suite starts pwsh a few hundred times. If the compiler
#     cannot be had, pwsh still works, only slower: a warning, not a failure.
# Idempotent: a second run finds all three and does nothing. Needs the .NET SDK and NuGet.
set -euo pipefail
cd "$(dirname "$0")/.."
PWSH_VERSION=7.6.10
PESTER_VERSION=5.7.1
TOOLS=.tools

if ! command -v dotnet >/dev/null; then
  echo "setup-powershell: the .NET SDK (dotnet) is needed to install PowerShell $PWSH_VERSION" >&2
  exit 1
fi

if [ -x "$TOOLS/pwsh" ] && "$TOOLS/pwsh" -NoProfile -Command '$PSVersionTable.PSVersion.ToString()' | grep -qx "$PWSH_VERSION"; then
  echo "setup-powershell: pwsh $PWSH_VERSION present"
else
  dotnet tool install PowerShell --version "$PWSH_VERSION" --tool-path "$TOOLS" >/dev/null
  echo "setup-powershell: installed pwsh $PWSH_VERSION into $TOOLS"
fi

if [ -f "$TOOLS/nuget/pester/$PESTER_VERSION/tools/Pester.psd1" ]; then
  echo "setup-powershell: Pester $PESTER_VERSION present"
else
  dotnet restore scripts/pester-restore/pester-restore.csproj --packages "$TOOLS/nuget" -p:PesterVersion="$PESTER_VERSION" >/dev/null
  echo "setup-powershell: restored Pester $PESTER_VERSION into $TOOLS/nuget"
fi

# The engine and the modules every script loads; the rest (Roslyn for Add-Type, Markdig ...) is
# used rarely enough to stay IL.
PRECOMPILE="System.Management.Automation Microsoft.PowerShell.ConsoleHost Microsoft.PowerShell.Commands.Utility
  Microsoft.PowerShell.Commands.Management Microsoft.PowerShell.Security Microsoft.PowerShell.SDK
  Microsoft.PowerShell.GlobalTool.Shim Newtonsoft.Json"

precompile() {
  local lib=$1 cg rp arch n failed=0
  dotnet restore scripts/crossgen-restore/crossgen-restore.csproj --packages "$TOOLS/nuget" >/dev/null || return 1
  cg=$(ls -d "$TOOLS"/nuget/microsoft.netcore.app.crossgen2.*/*/tools/crossgen2 2>/dev/null | sort -V | tail -1)
  rp=$(ls -d "$TOOLS"/nuget/microsoft.netcore.app.runtime.*/*/runtimes/*/lib/net10.0 2>/dev/null | sort -V | tail -1)
  [ -x "$cg" ] && [ -d "$rp" ] || return 1
  case "$(uname -m)" in x86_64) arch=x64 ;; aarch64 | arm64) arch=arm64 ;; *) return 1 ;; esac
  for n in $PRECOMPILE; do
    [ -f "$lib/$n.dll" ] || continue
    # Written aside and moved over, so an interrupted run never leaves a half-written assembly.
    if "$cg" "$lib/$n.dll" -o "$lib/$n.r2r-tmp" -r "$rp/*.dll" -r "$lib/*.dll" --targetos linux --targetarch "$arch" -O >/dev/null 2>&1; then
      mv -f "$lib/$n.r2r-tmp" "$lib/$n.dll"
    else
      rm -f "$lib/$n.r2r-tmp"
      failed=1
    fi
  done
  return $failed
}

# The marker lives next to the assemblies, so a reinstalled tool is precompiled again.
PS_LIB=$(dirname "$(ls -d "$TOOLS"/.store/powershell/"$PWSH_VERSION"/powershell/"$PWSH_VERSION"/tools/*/any/unix/System.Management.Automation.dll 2>/dev/null | head -1)")
if [ -f "$PS_LIB/.win-k8s-ready-to-run" ]; then
  echo "setup-powershell: pwsh precompiled"
elif [ -d "$PS_LIB" ] && precompile "$PS_LIB"; then
  touch "$PS_LIB/.win-k8s-ready-to-run"
  echo "setup-powershell: precompiled pwsh's engine (ReadyToRun)"
else
  echo "setup-powershell: warning: could not precompile pwsh (no crossgen2 for this machine); the PowerShell tests run, only slower" >&2
fi
"$TOOLS/pwsh" -NoProfile -Command '$PSVersionTable.PSVersion.ToString()' | grep -qx "$PWSH_VERSION" || {
  echo "setup-powershell: pwsh $PWSH_VERSION does not start after set-up" >&2
  exit 1
}
