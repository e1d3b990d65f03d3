# The stubs' shared writer: $script (it carries the bootstrap token) into a file locked to SYSTEM and
# Administrators before its first byte. Each stub puts it in at {{WRITE}}; it is not run on its own.
$dir = Join-Path $env:ProgramData 'win-k8s'
New-Item -ItemType Directory -Force -Path $dir | Out-Null
$path = Join-Path $dir 'bootstrap.ps1'
# The script carries the bootstrap token: lock the file to SYSTEM and Administrators while it is
# still empty, and write nothing if that fails.
if (Test-Path -LiteralPath $path) {
    Remove-Item -LiteralPath $path -Force
}
New-Item -ItemType File -Path $path | Out-Null
$acl = & icacls.exe $path /inheritance:r /grant:r '*S-1-5-18:(F)' '*S-1-5-32-544:(F)'
if ($LASTEXITCODE -ne 0) {
    throw ('icacls could not restrict {0} (exit {1}): {2}' -f $path, $LASTEXITCODE, ($acl -join ' '))
}
[System.IO.File]::WriteAllText($path, $script, (New-Object System.Text.UTF8Encoding -ArgumentList $true))
