#!/usr/bin/env bash
# Installs what the PowerShell tests need into the project's .tools/ folder (ignored by git):
#   - PowerShell 7.6.10 as a .NET tool (7.7.0 does not run on the .NET 10 SDK, so the version is named);
#   - the Pester 5.7.1 module, restored from NuGet through a throwaway project.
# Idempotent: a second run finds both and does nothing. Needs the .NET SDK and NuGet.
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
