<#
.SYNOPSIS
    Static gate for Windows PowerShell 5.1: refuses what only 5.1 would reject or mishandle.

.DESCRIPTION
    The bootstrap and diagnose scripts run on Windows Server 2016-2022 in Windows PowerShell 5.1,
    but the tests run them in PowerShell 7, which accepts syntax, cmdlets and parameters that 5.1
    lacks and fixed behaviours that 5.1 still has. This gate parses every script with
    PowerShell's own parser and walks the AST for those traps, printing one JSON document:
    { "files": [...], "findings": [ { file, line, column, rule, message, text } ] }.
    A parse error is itself a finding (rule ps51-parse-error).

    Usage: pwsh -File ps51-gate.ps1 [-Fragment <pattern>[,<pattern>...]] [-ListFile <file>] <path>...
      -ListFile   a file with one script path per line (in addition to the positional paths).
      -Fragment   wildcard patterns (matched with -like against each path) for parts of a script
                  that is assembled later (templates/bootstrap/*): their top level runs under the
                  header's $ErrorActionPreference = 'Stop', and whole-file rules (TLS 1.2) are
                  judged on the assembled script instead.

    Opt-out: a finding is dropped when its first line ends with a comment naming the rule and a
    reason, e.g.  Set-Content -Path $p -Value $v -Encoding UTF8  # ps51-gate: allow ps51-utf8-bom (read by PowerShell only)
    Only a comment on the same line counts: the renderer strips full-line comments, so a comment
    on the line above would vanish from the rendered script and the two runs would disagree.

    APPROVED PATTERNS (what the messages point to)

    Native command whose stderr must be captured or discarded, under $ErrorActionPreference = 'Stop':
    Windows PowerShell 5.1 turns every stderr line of a native command whose stderr is redirected
    (2>&1, 2>file, 2>$null, *>...) into an ErrorRecord, and under Stop the first one terminates the
    script (NativeCommandError), even with 2>$null. PowerShell 7.1/7.2 stopped applying
    $ErrorActionPreference to native stderr, so the tests on pwsh never see it.
    Sources: PowerShell/PowerShell#3996 and #4002 (2>$null included), PowerShell/PowerShell#13361
    and MicrosoftDocs/PowerShell-Docs#6466 (the 7.x change). Write instead:

        function Invoke-NativeCommand {
            param([string]$FilePath, [string[]]$ArgumentList)
            # Continue in this function's scope only: stderr lines become ErrorRecords in the
            # output instead of terminating; success is judged by the exit code alone.
            $ErrorActionPreference = 'Continue'
            $raw = & $FilePath @ArgumentList 2>&1
            $code = $LASTEXITCODE
            ...
        }

    (templates/bootstrap/10-lib.ps1 has this function), or Start-Process -Wait -PassThru
    -RedirectStandardError <file>, or [System.Diagnostics.Process] with RedirectStandardError.
    A native command without any stderr redirection is fine under Stop: 5.1 passes its stderr to
    the console untouched.

    Files a Go program (or anything but PowerShell) reads: [IO.File]::WriteAllText($path, $text,
    (New-Object Text.UTF8Encoding -ArgumentList $false)) for UTF-8 without a byte order mark, or
    Set-Content -Encoding ASCII when the text is ASCII. Out-File and > write UTF-16LE in 5.1,
    Set-Content/Add-Content write the ANSI code page, Export-Csv ASCII, -Encoding UTF8 a BOM.
    Source: about_Character_Encoding (reference/5.1, "Character encoding in Windows PowerShell").
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0, ValueFromRemainingArguments = $true)]
    [string[]]$Path = @(),
    [string]$ListFile,
    [string[]]$Fragment = @()
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

# ---------------------------------------------------------------------------------------------
# Data: what PowerShell 7 has and Windows PowerShell 5.1 does not.
# ---------------------------------------------------------------------------------------------

# Cmdlets that exist only in PowerShell 6/7. Source: the cmdlet reference of
# MicrosoftDocs/PowerShell-Docs, reference/7.6/<module>/<cmdlet>.md present and
# reference/5.1/<module>/<cmdlet>.md absent (modules shipped with both: Core, Management,
# Utility, Security, Diagnostics, Host, Archive, CimCmdlets, WSMan, PSDiagnostics), plus
# Start-ThreadJob (the ThreadJob module ships with 7 only).
$SevenOnlyCmdlets = @(
    'Disable-ExperimentalFeature', 'Enable-ExperimentalFeature', 'Get-ExperimentalFeature',
    'Get-PSSubsystem', 'Switch-Process', 'Remove-Service', 'Start-ThreadJob',
    'ConvertFrom-CliXml', 'ConvertTo-CliXml', 'ConvertFrom-Markdown', 'Get-MarkdownOption',
    'Set-MarkdownOption', 'Show-Markdown', 'Get-Error', 'Get-SecureRandom', 'Get-Uptime',
    'Join-String', 'Remove-Alias', 'Test-Json'
)

# Parameters that exist only in PowerShell 6/7, per cmdlet. Source: the SYNTAX blocks of
# reference/7.6/<module>/<cmdlet>.md minus those of reference/5.1/<module>/<cmdlet>.md in
# MicrosoftDocs/PowerShell-Docs. Common parameters (-WhatIf, -Confirm, -Information*) that the
# 7.6 pages list for a few more cmdlets are left out: they are not what a script trips on, and
# the gate must not refuse a parameter 5.1 has. Names are matched exactly (case-insensitive);
# abbreviations are not resolved, since resolving them needs 5.1's full parameter lists.
$SevenOnlyParameters = @{
    'Add-Content'               = @('AsByteStream')
    'Add-Type'                  = @('CompilerOptions')
    'Compress-Archive'          = @('PassThru')
    'ConvertFrom-Json'          = @('AsHashtable', 'DateKind', 'Depth', 'NoEnumerate')
    'ConvertFrom-SecureString'  = @('AsPlainText')
    'ConvertFrom-StringData'    = @('Delimiter')
    'ConvertTo-Csv'             = @('IncludeTypeInformation', 'QuoteFields', 'UseQuotes', 'NoHeader')
    'ConvertTo-Html'            = @('Meta', 'Charset', 'Transitional')
    'ConvertTo-Json'            = @('EnumsAsStrings', 'AsArray', 'EscapeHandling')
    'Debug-Job'                 = @('BreakAll')
    'Debug-Runspace'            = @('BreakAll')
    'Disable-PSBreakpoint'      = @('Runspace')
    'Enable-PSBreakpoint'       = @('Runspace')
    'Enter-PSHostProcess'       = @('CustomPipeName')
    'Enter-PSSession'           = @('HostName', 'Options', 'UserName', 'KeyFilePath', 'Subsystem', 'ConnectingTimeout', 'SSHTransport')
    'Expand-Archive'            = @('PassThru')
    'Export-Csv'                = @('IncludeTypeInformation', 'QuoteFields', 'UseQuotes', 'NoHeader')
    'ForEach-Object'            = @('Parallel', 'ThrottleLimit', 'TimeoutSeconds', 'AsJob', 'UseNewRunspace')
    'Format-Hex'                = @('Count', 'Offset')
    'Get-CimClass'              = @('Amended')
    'Get-Clipboard'             = @('Delimiter')
    'Get-Command'               = @('ExcludeModule', 'UseFuzzyMatching', 'FuzzyMinimumDistance', 'UseAbbreviationExpansion')
    'Get-Content'               = @('AsByteStream')
    'Get-Credential'            = @('Title')
    'Get-Culture'               = @('NoUserOverrides', 'Name', 'ListAvailable')
    'Get-Date'                  = @('AsUTC', 'UnixTimeSeconds')
    'Get-Module'                = @('SkipEditionCheck')
    'Get-PfxCertificate'        = @('Password', 'NoPromptForPassword')
    'Get-PSBreakpoint'          = @('Runspace')
    'Get-Random'                = @('Shuffle')
    'Get-Unique'                = @('CaseInsensitive')
    'Get-Verb'                  = @('Group')
    'Import-Module'             = @('SkipEditionCheck', 'UseWindowsPowerShell')
    'Import-PowerShellDataFile' = @('SkipLimitCheck')
    'Invoke-Command'            = @('StrictMode', 'RemoteDebug', 'HostName', 'UserName', 'KeyFilePath', 'Subsystem', 'ConnectingTimeout', 'SSHTransport', 'Options', 'SSHConnection')
    'Invoke-RestMethod'         = @('FollowRelLink', 'MaximumFollowRelLink', 'ResponseHeadersVariable', 'StatusCodeVariable', 'HttpVersion', 'AllowUnencryptedAuthentication', 'Authentication', 'SkipCertificateCheck', 'SslProtocol', 'Token', 'ConnectionTimeoutSeconds', 'OperationTimeoutSeconds', 'SkipHeaderValidation', 'AllowInsecureRedirect', 'MaximumRetryCount', 'PreserveAuthorizationOnRedirect', 'RetryIntervalSec', 'PreserveHttpMethodOnRedirect', 'UnixSocket', 'Form', 'Resume', 'SkipHttpErrorCheck', 'NoProxy', 'CustomMethod')
    'Invoke-WebRequest'         = @('HttpVersion', 'AllowUnencryptedAuthentication', 'Authentication', 'SkipCertificateCheck', 'SslProtocol', 'Token', 'ConnectionTimeoutSeconds', 'OperationTimeoutSeconds', 'SkipHeaderValidation', 'AllowInsecureRedirect', 'MaximumRetryCount', 'PreserveAuthorizationOnRedirect', 'RetryIntervalSec', 'PreserveHttpMethodOnRedirect', 'UnixSocket', 'Form', 'Resume', 'SkipHttpErrorCheck', 'NoProxy', 'CustomMethod')
    'Measure-Object'            = @('StandardDeviation', 'AllStats')
    'New-Guid'                  = @('Empty', 'InputObject')
    'New-ModuleManifest'        = @('Prerelease', 'RequireLicenseAcceptance', 'ExternalModuleDependencies')
    'New-PSSession'             = @('UseWindowsPowerShell', 'HostName', 'UserName', 'KeyFilePath', 'Subsystem', 'ConnectingTimeout', 'SSHTransport', 'Options', 'SSHConnection')
    'New-Service'               = @('SecurityDescriptorSddl')
    'New-TimeSpan'              = @('Milliseconds')
    'Out-String'                = @('NoNewline')
    'Read-Host'                 = @('MaskInput')
    'Register-ArgumentCompleter' = @('NativeFallback')
    'Remove-PSBreakpoint'       = @('Runspace')
    'Resolve-Path'              = @('RelativeBasePath', 'Force')
    'Save-Help'                 = @('Scope')
    'Select-Object'             = @('CaseInsensitive', 'SkipIndex')
    'Select-String'             = @('Culture', 'NoEmphasis', 'Raw')
    'Send-MailMessage'          = @('ReplyTo')
    'Set-Clipboard'             = @('PassThru', 'AsOSC52')
    'Set-Content'               = @('AsByteStream')
    'Set-PSBreakpoint'          = @('Runspace')
    'Set-Service'               = @('Credential', 'SecurityDescriptorSddl', 'Force')
    'Sort-Object'               = @('Stable', 'Top', 'Bottom')
    'Split-Path'                = @('LeafBase', 'Extension')
    'Start-Job'                 = @('WorkingDirectory')
    'Start-Process'             = @('Environment')
    'Start-Sleep'               = @('Duration')
    'Start-Transcript'          = @('UseMinimalHeader')
    'Tee-Object'                = @('Encoding')
    'Test-Connection'           = @('TargetName', 'Ping', 'IPv4', 'IPv6', 'ResolveDestination', 'MaxHops', 'DontFragment', 'TimeoutSeconds', 'Repeat', 'Traceroute', 'MtuSize', 'TcpPort', 'Detailed')
    'Update-Help'               = @('Scope')
    'Wait-Process'              = @('Any', 'PassThru')
    'Where-Object'              = @('Not')
}

# -Encoding values Windows PowerShell 5.1 accepts (FileSystemCmdletProviderEncoding and the
# ValidateSets of Out-File, Export-Csv, Select-String, Send-MailMessage; reference/5.1 pages of
# those cmdlets). utf8NoBOM, utf8BOM, ansi, code page numbers and names are 6/7 only.
$Ps51EncodingValues = @('Unknown', 'String', 'Unicode', 'Byte', 'BigEndianUnicode', 'BigEndianUTF32', 'UTF8', 'UTF7', 'UTF32', 'Ascii', 'Default', 'Oem')
# Explicit encodings that are not UTF-8 (or ASCII): as surprising to a Go reader as the defaults.
$NonUtf8EncodingValues = @('Unknown', 'String', 'Unicode', 'BigEndianUnicode', 'BigEndianUTF32', 'UTF7', 'UTF32', 'Default', 'Oem')
$EncodingCmdlets = @('Get-Content', 'Set-Content', 'Add-Content', 'Out-File', 'Export-Csv', 'Import-Csv', 'Select-String', 'Send-MailMessage', 'Export-Clixml', 'Export-PSSession', 'Format-Hex', 'Tee-Object')
# Cmdlets that write files, and 5.1's default when -Encoding is absent (about_Character_Encoding, 5.1).
$FileWriters = @{
    'Out-File'    = 'UTF-16LE'
    'Set-Content' = 'the ANSI code page'
    'Add-Content' = 'the ANSI code page'
    'Export-Csv'  = 'ASCII (non-ASCII characters become ?)'
    'Tee-Object'  = 'UTF-16LE, with no -Encoding parameter in 5.1'
}

# Default aliases that resolve to the cmdlets above. curl and wget are Invoke-WebRequest in 5.1
# (reference/5.1 Invoke-WebRequest.md lists curl, iwr, wget; 7.6 lists iwr only); sc is Set-Content.
$Aliases = @{
    '%' = 'ForEach-Object'; 'foreach' = 'ForEach-Object'; '?' = 'Where-Object'; 'where' = 'Where-Object'
    'iwr' = 'Invoke-WebRequest'; 'curl' = 'Invoke-WebRequest'; 'wget' = 'Invoke-WebRequest'; 'irm' = 'Invoke-RestMethod'
    'gc' = 'Get-Content'; 'cat' = 'Get-Content'; 'type' = 'Get-Content'; 'sc' = 'Set-Content'; 'ac' = 'Add-Content'
    'epcsv' = 'Export-Csv'; 'tee' = 'Tee-Object'; 'select' = 'Select-Object'; 'sort' = 'Sort-Object'
    'sls' = 'Select-String'; 'measure' = 'Measure-Object'; 'sleep' = 'Start-Sleep'; 'start' = 'Start-Process'
    'saps' = 'Start-Process'; 'gu' = 'Get-Unique'; 'sajb' = 'Start-Job'; 'icm' = 'Invoke-Command'
    'ipmo' = 'Import-Module'; 'gcm' = 'Get-Command'
}
# Bare names that 5.1 resolves to a cmdlet although a Windows program of that name exists.
$AliasShadowsNative = @{ 'curl' = 'curl.exe'; 'wget' = 'wget.exe'; 'sc' = 'sc.exe' }

# Programs the scripts run without writing .exe. Anything named *.exe/.com/.cmd/.bat or given
# by a path counts too.
$KnownNatives = @(
    'icacls', 'sc', 'route', 'kubeadm', 'kubelet', 'kube-proxy', 'kubectl', 'tar', 'w32tm', 'netsh',
    'ctr', 'crictl', 'hnsdiag', 'containerd', 'dockerd', 'docker', 'cri-dockerd', 'flanneld', 'nssm',
    'cmd', 'powershell', 'pwsh', 'git', 'certutil', 'reg', 'schtasks', 'net', 'ipconfig', 'bcdedit',
    'dism', 'sfc', 'wevtutil', 'fsutil', 'takeown', 'robocopy', 'findstr', 'whoami', 'nslookup',
    'ping', 'tracert', 'pktmon', 'logman', 'vfpctrl', 'wmic', 'diskpart', 'bitsadmin', 'msiexec',
    'arp', 'hostname', 'systeminfo', 'tasklist', 'taskkill', 'sc.exe', 'curl.exe'
)

# Automatic and preference variables that 5.1 does not define (reference/7.6
# about_Automatic_Variables and about_Preference_Variables list them, reference/5.1 does not).
# In 5.1 they read as $null: `if ($IsWindows)` is false on Windows, and setting
# $PSNativeCommandUseErrorActionPreference changes nothing.
$SevenOnlyVariables = @{
    'IsWindows'                               = 'use $env:OS -eq ''Windows_NT'' (these scripts only run on Windows anyway)'
    'IsLinux'                                 = 'these scripts only run on Windows'
    'IsMacOS'                                 = 'these scripts only run on Windows'
    'IsCoreCLR'                               = 'test $PSVersionTable.PSEdition -eq ''Core'''
    'PSStyle'                                 = 'write plain text'
    'EnabledExperimentalFeatures'             = 'experimental features do not exist in 5.1'
    'PSNativeCommandArgumentPassing'          = 'quote native arguments yourself (5.1 passes them the Legacy way)'
    'PSNativeCommandUseErrorActionPreference' = 'check $LASTEXITCODE after each native command'
}

# Static members of .NET types that .NET Framework 4.x (what 5.1 runs on) lacks. Source: the
# "Applies to" table of each member's page in the .NET API reference: all of these list .NET
# Core/.NET 5+ (and .NET Standard 2.1 at most), no .NET Framework version.
$CoreOnlyStaticMembers = @{
    'System.IO.Path'                                   = @('GetRelativePath', 'Join', 'TrimEndingDirectorySeparator', 'EndsInDirectorySeparator', 'Exists')
    'System.Convert'                                   = @('ToHexString', 'FromHexString', 'ToHexStringLower')
    'System.Environment'                               = @('ProcessId', 'ProcessPath')
    'System.OperatingSystem'                           = @('IsWindows', 'IsLinux', 'IsMacOS', 'IsWindowsVersionAtLeast')
    'System.Math'                                      = @('Clamp')
    'System.IO.File'                                   = @('ReadAllTextAsync', 'WriteAllTextAsync', 'ReadAllLinesAsync', 'WriteAllLinesAsync', 'ReadAllBytesAsync', 'WriteAllBytesAsync', 'AppendAllTextAsync', 'CreateSymbolicLink')
    'System.IO.Directory'                              = @('CreateSymbolicLink', 'CreateTempSubdirectory')
    'System.Text.Encoding'                             = @('Latin1')
    'System.Security.Cryptography.SHA256'              = @('HashData')
    'System.Security.Cryptography.SHA1'                = @('HashData')
    'System.Security.Cryptography.SHA512'              = @('HashData')
    'System.Security.Cryptography.MD5'                 = @('HashData')
    'System.Security.Cryptography.RandomNumberGenerator' = @('GetInt32', 'Fill', 'GetBytes')
    'System.Guid'                                      = @('CreateVersion7')
}
# Types 5.1 cannot resolve at all: .NET Core-only, or PowerShell 6+ (SemanticVersion, [semver]).
$CoreOnlyTypes = @('semver', 'System.Management.Automation.SemanticVersion', 'System.Text.Json.*', 'System.Range', 'System.Index', 'System.Half', 'System.DateOnly', 'System.TimeOnly', 'System.Formats.Tar.*', 'System.Net.Http.SocketsHttpHandler')
# Types .NET Framework has but 5.1 does not load at startup: they need Add-Type -AssemblyName
# first (the assembly named in each type's API reference page for .NET Framework).
$AssemblyTypes = @(
    @{ Pattern = 'System.Net.Http.*'; Assembly = 'System.Net.Http' }
    @{ Pattern = 'System.IO.Compression.ZipFile'; Assembly = 'System.IO.Compression.FileSystem' }
    @{ Pattern = 'System.IO.Compression.ZipFileExtensions'; Assembly = 'System.IO.Compression.FileSystem' }
    @{ Pattern = 'System.IO.Compression.ZipArchive*'; Assembly = 'System.IO.Compression' }
    @{ Pattern = 'System.Web.*'; Assembly = 'System.Web' }
    @{ Pattern = 'System.Windows.Forms.*'; Assembly = 'System.Windows.Forms' }
)
# Short names PowerShell resolves without the namespace (Net.WebClient == System.Net.WebClient).
function Get-FullTypeName {
    param([string]$Name)
    $n = $Name.Trim()
    if ($n -notmatch '^System\.' -and $n -match '\.') {
        return "System.$n"
    }
    if ($n -notmatch '\.') {
        switch ($n.ToLowerInvariant()) {
            'math' { return 'System.Math' }
            'convert' { return 'System.Convert' }
            'environment' { return 'System.Environment' }
            'guid' { return 'System.Guid' }
            'operatingsystem' { return 'System.OperatingSystem' }
        }
    }
    return $n
}

# ---------------------------------------------------------------------------------------------
# Findings
# ---------------------------------------------------------------------------------------------
$script:findings = New-Object System.Collections.Generic.List[object]
$script:lines = @()
$script:file = ''

function Get-ShortText {
    param([string]$Text)
    $t = ($Text -replace '\s*\r?\n\s*', ' ').Trim()
    if ($t.Length -gt 200) {
        $t = $t.Substring(0, 197) + '...'
    }
    return $t
}

function Test-OptOut {
    param([int]$Line, [string]$Rule)
    if ($Line -lt 1 -or $Line -gt $script:lines.Count) {
        return $false
    }
    $m = [regex]::Match($script:lines[$Line - 1], '#\s*ps51-gate:\s*allow\s+([\w-]+(?:\s*,\s*[\w-]+)*)\s*\(([^)]*\S[^)]*)\)')
    if (-not $m.Success) {
        return $false
    }
    return @($m.Groups[1].Value -split '\s*,\s*') -contains $Rule
}

function Add-Finding {
    param($Extent, [string]$Rule, [string]$Message, [string]$Text)
    if ($Rule -ne 'ps51-parse-error' -and (Test-OptOut -Line $Extent.StartLineNumber -Rule $Rule)) {
        return
    }
    if (-not $PSBoundParameters.ContainsKey('Text')) {
        $Text = $Extent.Text
    }
    $script:findings.Add([ordered]@{
            file    = $script:file
            line    = $Extent.StartLineNumber
            column  = $Extent.StartColumnNumber
            rule    = $Rule
            message = $Message
            text    = (Get-ShortText $Text)
        })
}

# ---------------------------------------------------------------------------------------------
# AST helpers
# ---------------------------------------------------------------------------------------------
function Get-ResolvedCommandName {
    param($Command)
    $name = $Command.GetCommandName()
    if (-not $name) {
        return $null
    }
    if ($Aliases.ContainsKey($name.ToLowerInvariant())) {
        return $Aliases[$name.ToLowerInvariant()]
    }
    return $name
}

# Parameters of a command as a list of @{ Name; Ast; Value } (Value: the argument AST or $null),
# and the positional arguments. A parameter followed by a non-parameter element takes it as its
# value unless it is a known switch; this is how the binder reads the common cases.
function Get-CommandArguments {
    param($Command, [string[]]$Switches = @())
    $params = New-Object System.Collections.Generic.List[object]
    $positional = New-Object System.Collections.Generic.List[object]
    $splatted = $false
    $elements = @($Command.CommandElements)
    $i = 1
    while ($i -lt $elements.Count) {
        $e = $elements[$i]
        if ($e -is [System.Management.Automation.Language.CommandParameterAst]) {
            $value = $e.Argument
            if ($null -eq $value -and ($Switches -notcontains $e.ParameterName) -and ($i + 1) -lt $elements.Count -and -not ($elements[$i + 1] -is [System.Management.Automation.Language.CommandParameterAst])) {
                $value = $elements[$i + 1]
                $i++
            }
            $params.Add(@{ Name = $e.ParameterName; Ast = $e; Value = $value })
        }
        else {
            if ($e -is [System.Management.Automation.Language.VariableExpressionAst] -and $e.Splatted) {
                $splatted = $true
            }
            else {
                $positional.Add($e)
            }
        }
        $i++
    }
    return @{ Params = $params; Positional = $positional; Splatted = $splatted }
}

function Find-Param {
    param($Arguments, [string]$Name, [int]$MinPrefix = 0)
    foreach ($p in $Arguments.Params) {
        if ($p.Name -eq $Name) {
            return $p
        }
        if ($MinPrefix -gt 0 -and $p.Name.Length -ge $MinPrefix -and $Name.StartsWith($p.Name, [StringComparison]::OrdinalIgnoreCase)) {
            return $p
        }
    }
    return $null
}

function Get-ConstantValue {
    param($Ast)
    if ($Ast -is [System.Management.Automation.Language.StringConstantExpressionAst]) {
        return $Ast.Value
    }
    if ($Ast -is [System.Management.Automation.Language.ConstantExpressionAst]) {
        return [string]$Ast.Value
    }
    return $null
}

# $script:x and $x name the same variable for these rules (VariablePath.UnqualifiedPath is internal).
function Get-VariableName {
    param($Variable)
    return ($Variable.VariablePath.UserPath -replace '^(?i)(global|script|local|private|using):', '')
}

function Get-Ancestors {
    param($Ast)
    $p = $Ast.Parent
    while ($null -ne $p) {
        $p
        $p = $p.Parent
    }
}

# ---------------------------------------------------------------------------------------------
# $ErrorActionPreference as each command sees it
# ---------------------------------------------------------------------------------------------
function Get-EapAssignments {
    param($Root)
    $assignments = $Root.FindAll({
            param($a)
            $a -is [System.Management.Automation.Language.AssignmentStatementAst] -and
            $a.Left -is [System.Management.Automation.Language.VariableExpressionAst] -and
            (Get-VariableName $a.Left) -eq 'ErrorActionPreference'
        }, $true)
    foreach ($a in $assignments) {
        $scope = @(Get-Ancestors $a | Where-Object { $_ -is [System.Management.Automation.Language.ScriptBlockAst] })[0]
        $rhs = $a.Right.Extent.Text
        # Only a literal that names another preference counts as "not Stop": a restored saved
        # value ($old) or anything computed could be Stop.
        $stop = -not ($rhs -match '(?i)\b(SilentlyContinue|Continue|Ignore|Inquire)\b')
        @{ Scope = $scope; Offset = $a.Extent.StartOffset; Stop = $stop }
    }
}

function Test-UnderStop {
    param($Ast, $Assignments, [bool]$FileDefaultStop)
    foreach ($scope in @(Get-Ancestors $Ast | Where-Object { $_ -is [System.Management.Automation.Language.ScriptBlockAst] })) {
        $before = @($Assignments | Where-Object { [object]::ReferenceEquals($_.Scope, $scope) -and $_.Offset -lt $Ast.Extent.StartOffset } | Sort-Object { $_.Offset })
        if ($before.Count -gt 0) {
            return $before[-1].Stop
        }
    }
    return $FileDefaultStop
}

# ---------------------------------------------------------------------------------------------
# Native commands
# ---------------------------------------------------------------------------------------------
$NativeNamePattern = '(?i)\.(exe|com|cmd|bat)$'

function Get-NativePathVariables {
    param($Root)
    $names = @{}
    $assignments = $Root.FindAll({ param($a) $a -is [System.Management.Automation.Language.AssignmentStatementAst] -and $a.Left -is [System.Management.Automation.Language.VariableExpressionAst] }, $true)
    foreach ($a in $assignments) {
        if ($a.Right.Extent.Text -match '(?i)\.(exe|com|cmd|bat)[''"]') {
            $names[(Get-VariableName $a.Left).ToLowerInvariant()] = $true
        }
    }
    $parameters = $Root.FindAll({ param($a) $a -is [System.Management.Automation.Language.ParameterAst] }, $true)
    foreach ($p in $parameters) {
        $n = (Get-VariableName $p.Name)
        # A parameter that takes a program's path: a default ending in .exe, or the name says so.
        if (($null -ne $p.DefaultValue -and $p.DefaultValue.Extent.Text -match '(?i)\.(exe|com|cmd|bat)[''"]') -or $n -match '(?i)^(FilePath|Executable|Exe|ExePath|Program|ProgramPath|Binary|BinaryPath)$') {
            $names[$n.ToLowerInvariant()] = $true
        }
    }
    return $names
}

function Get-NativeName {
    param($Command, $NativeVariables)
    $first = $Command.CommandElements[0]
    $name = $Command.GetCommandName()
    if ($name) {
        $leaf = ($name -split '[\\/]')[-1]
        if ($leaf -match $NativeNamePattern -or $KnownNatives -contains $leaf.ToLowerInvariant()) {
            # A bare alias (sc, curl) is a cmdlet in 5.1, not the program.
            if ($Command.InvocationOperator -eq 'Unknown' -and $AliasShadowsNative.ContainsKey($leaf.ToLowerInvariant())) {
                return $null
            }
            return $leaf
        }
        if ($name -match '[\\/]' -and $name -notmatch '(?i)\.ps1$') {
            return $leaf
        }
        return $null
    }
    if ($first -is [System.Management.Automation.Language.VariableExpressionAst]) {
        if ($NativeVariables.ContainsKey((Get-VariableName $first).ToLowerInvariant())) {
            return $first.Extent.Text
        }
        return $null
    }
    if ($first.Extent.Text -match '(?i)\.(exe|com|cmd|bat)\b') {
        return $first.Extent.Text
    }
    return $null
}

# ---------------------------------------------------------------------------------------------
# The rules
# ---------------------------------------------------------------------------------------------
function Invoke-Rules {
    param($Root, [bool]$IsFragment, [string]$Raw)

    $assignments = @(Get-EapAssignments $Root)
    $fileDefaultStop = $IsFragment -or @($assignments | Where-Object { $_.Stop }).Count -gt 0
    $nativeVariables = Get-NativePathVariables $Root
    $all = $Root.FindAll({ $true }, $true)

    # --- #requires ---------------------------------------------------------------------------
    $req = $Root.ScriptRequirements
    if ($null -ne $req) {
        if ($null -ne $req.RequiredPSVersion -and $req.RequiredPSVersion.Major -ge 6) {
            Add-Finding $Root.Extent 'ps51-requires-7' ('#requires -Version {0}: Windows PowerShell 5.1 refuses to run the script. Require 5.1 (or nothing) and keep the script 5.1-compatible.' -f $req.RequiredPSVersion) ('#requires -Version {0}' -f $req.RequiredPSVersion)
        }
        if ($null -ne $req.RequiredPSEditions -and @($req.RequiredPSEditions) -contains 'Core') {
            Add-Finding $Root.Extent 'ps51-requires-7' '#requires -PSEdition Core: Windows PowerShell 5.1 is the Desktop edition and refuses to run the script. Drop it.' '#requires -PSEdition Core'
        }
    }

    # --- source encoding ---------------------------------------------------------------------
    # 5.1 reads a script without a byte order mark in the ANSI code page: a UTF-8 en dash or
    # curly quote becomes several characters, some of which PowerShell takes for quotes
    # (about_Character_Encoding, 5.1). pwsh reads the same file as UTF-8, so the tests pass.
    if ($null -ne $Raw -and -not $Raw.StartsWith([char]0xFEFF)) {
        for ($n = 0; $n -lt $script:lines.Count; $n++) {
            $m = [regex]::Match($script:lines[$n], '[^\x00-\x7F]')
            if ($m.Success) {
                $ext = [pscustomobject]@{ StartLineNumber = $n + 1; StartColumnNumber = $m.Index + 1; Text = $script:lines[$n] }
                Add-Finding $ext 'ps51-non-ascii-source' ('non-ASCII character U+{0:X4} in a script without a byte order mark: Windows PowerShell 5.1 reads it as ANSI and garbles it (curly quotes and dashes can even end a string). Write ASCII (e.g. [char]0x{0:X4} if the character is needed).' -f [int][char]$m.Value)
            }
        }
    }

    # --- TLS 1.2 -----------------------------------------------------------------------------
    # .NET Framework 4.6.2 (Server 2016) gives powershell.exe SSL3/TLS 1.0 only unless the script
    # adds TLS 1.2 to ServicePointManager.SecurityProtocol; GitHub, the PowerShell Gallery and
    # the Kubernetes API server refuse TLS 1.0. PowerShell 7 uses the OS default. Sources: .NET
    # "Transport Layer Security (TLS) best practices with the .NET Framework"; the PowerShell
    # team's "PowerShell Gallery TLS Support" post (2020), which gives this very line.
    if (-not $IsFragment) {
        $web = @($all | Where-Object {
                ($_ -is [System.Management.Automation.Language.CommandAst] -and @('Invoke-WebRequest', 'Invoke-RestMethod') -contains (Get-ResolvedCommandName $_)) -or
                ($_ -is [System.Management.Automation.Language.TypeExpressionAst] -and $_.TypeName.FullName -match '(?i)^(System\.)?Net\.(HttpWebRequest|WebRequest|WebClient)$') -or
                ($_ -is [System.Management.Automation.Language.CommandAst] -and (Get-ResolvedCommandName $_) -eq 'New-Object' -and $_.Extent.Text -match '(?i)\bNet\.WebClient\b')
            })
        $tls = @($all | Where-Object {
                $_ -is [System.Management.Automation.Language.AssignmentStatementAst] -and $_.Left.Extent.Text -match '(?i)ServicePointManager\]::SecurityProtocol' -and $_.Right.Extent.Text -match '(?i)Tls12|Tls13|3072'
            })
        if ($web.Count -gt 0 -and $tls.Count -eq 0) {
            Add-Finding $web[0].Extent 'ps51-tls12' 'HTTPS from Windows PowerShell 5.1 on .NET Framework 4.6.2 (Server 2016) offers only SSL3/TLS 1.0, which GitHub and the Kubernetes API server refuse. Before the first request: [Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12'
        }
    }

    foreach ($node in $all) {
        switch ($node.GetType().Name) {
            'TernaryExpressionAst' {
                Add-Finding $node.Extent 'ps51-syntax-7-only' 'the ternary operator a ? b : c is PowerShell 7.0+; 5.1 fails to parse the script. Write if ($a) { $b } else { $c } (it is an expression: $x = if (...) { } else { }).'
            }
            'BinaryExpressionAst' {
                if ($node.Operator -eq 'QuestionQuestion') {
                    Add-Finding $node.Extent 'ps51-syntax-7-only' 'the null-coalescing operator ?? is PowerShell 7.0+; 5.1 fails to parse the script. Write if ($null -ne $a) { $a } else { $b }.'
                }
            }
            'AssignmentStatementAst' {
                if ($node.Operator -eq 'QuestionQuestionEquals') {
                    Add-Finding $node.Extent 'ps51-syntax-7-only' 'the ??= operator is PowerShell 7.0+; 5.1 fails to parse the script. Write if ($null -eq $a) { $a = $b }.'
                }
            }
            { $_ -in 'MemberExpressionAst', 'InvokeMemberExpressionAst' } {
                if ($node.NullConditional) {
                    Add-Finding $node.Extent 'ps51-syntax-7-only' 'null-conditional member access ?. is PowerShell 7.1+; 5.1 reads ${a}?.b differently or fails. Test for $null first.'
                }
                if ($node.Static -and $node.Expression -is [System.Management.Automation.Language.TypeExpressionAst] -and $node.Member -is [System.Management.Automation.Language.StringConstantExpressionAst]) {
                    $type = Get-FullTypeName $node.Expression.TypeName.FullName
                    foreach ($key in $CoreOnlyStaticMembers.Keys) {
                        if ($type -eq $key -and ($CoreOnlyStaticMembers[$key] -contains $node.Member.Value)) {
                            Add-Finding $node.Extent 'ps51-dotnet-core-api' ('[{0}]::{1} exists only in .NET Core/.NET 5+; Windows PowerShell 5.1 runs on .NET Framework 4.x, where the call fails. Use a .NET Framework API (see the member''s "Applies to" table).' -f $key, $node.Member.Value)
                        }
                    }
                }
            }
            'IndexExpressionAst' {
                if ($node.NullConditional) {
                    Add-Finding $node.Extent 'ps51-syntax-7-only' 'null-conditional indexing ?[] is PowerShell 7.1+; 5.1 fails or misreads it. Test for $null first.'
                }
            }
            'PipelineChainAst' {
                # Nested chains are reported once, at the outermost.
                if (-not ($node.Parent -is [System.Management.Automation.Language.PipelineChainAst])) {
                    Add-Finding $node.Extent 'ps51-syntax-7-only' 'pipeline chain operators && and || are PowerShell 7.0+; 5.1 fails to parse the script. Write separate statements and test $? or $LASTEXITCODE.'
                }
            }
            'PipelineAst' {
                if ($node.Background) {
                    Add-Finding $node.Extent 'ps51-syntax-7-only' 'the background operator & at the end of a pipeline is PowerShell 6.0+; 5.1 fails to parse it. Use Start-Job.'
                }
            }
            'NamedBlockAst' {
                if ($node.BlockKind.ToString() -eq 'Clean') {
                    Add-Finding $node.Extent 'ps51-syntax-7-only' 'the clean {} block is PowerShell 7.3+; 5.1 fails to parse the script. Use try/finally in end {}.'
                }
            }
            { $_ -in 'StringConstantExpressionAst', 'ExpandableStringExpressionAst' } {
                # Script text the script generates (a supervisor written to disk) is a string to the
                # parser. A stream redirection to a file in it (*>>, 2> file) writes UTF-16LE when
                # 5.1 runs the generated script; bare > is too common in prose to judge here, and the
                # operator must stand after a blank, as in code (base64 payloads contain "2>").
                if (-not ($node.Parent -is [System.Management.Automation.Language.ExpandableStringExpressionAst])) {
                    $r = [regex]::Match($node.Value, '(?<=[ \t])(\*|[2-6])>>?(?![ \t]*(&|\$null))[ \t]*[''"$\w]')
                    if ($r.Success) {
                        Add-Finding $node.Extent 'ps51-default-encoding' ('generated script text redirects a stream to a file ({0}): when Windows PowerShell 5.1 runs it, the file is UTF-16LE. Have the generated script write through a StreamWriter with UTF8Encoding($false).' -f $r.Value.Trim())
                    }
                }
                if ($node.StringConstantType -in 'DoubleQuoted', 'DoubleQuotedHereString' -and -not ($node.Parent -is [System.Management.Automation.Language.ExpandableStringExpressionAst])) {
                    # An odd run of backticks before u{...} or e is an escape (about_Special_Characters, 7.6).
                    $m = [regex]::Match($node.Extent.Text, '(?<!`)(?:``)*`(u\{[0-9A-Fa-f]{1,6}\}|e)')
                    if ($m.Success) {
                        Add-Finding $node.Extent 'ps51-syntax-7-only' ('the escape {0} is PowerShell 6.0+; 5.1 reads it as the plain letters ("`e" is "e"), silently. Use [char]0x1B or [char]0xNNNN.' -f $m.Value.TrimStart('`').Insert(0, '`'))
                    }
                }
            }
            'ConstantExpressionAst' {
                $t = $node.Extent.Text
                # Binary literals (7.0) and the y/uy/s/us/u/ul (6.2) and n (7.0) type suffixes
                # (about_Numeric_Literals, 7.6). 5.1 takes such a token for a command name.
                if ($t -match '(?i)^0b[01]+' -or ($t -match '(?i)^[0-9][0-9a-fx.]*?(uy|us|ul|y|s|u|n)(kb|mb|gb|tb|pb)?$' -and $t -notmatch '(?i)^0x')) {
                    Add-Finding $node.Extent 'ps51-syntax-7-only' ('numeric literal {0}: binary literals and the y/uy/s/us/u/ul/n suffixes are PowerShell 6.2/7.0+. Cast instead, e.g. [byte]1, [uint32]5, or 0x hex.' -f $t)
                }
            }
            'AttributeAst' {
                $n = $node.TypeName.FullName
                if ($n -match '(?i)^(System\.Management\.Automation\.)?ValidateRange(Attribute)?$' -and $node.PositionalArguments.Count -eq 1 -and $node.PositionalArguments[0] -is [System.Management.Automation.Language.StringConstantExpressionAst]) {
                    Add-Finding $node.Extent 'ps51-syntax-7-only' '[ValidateRange(''Positive'')] and the other ValidateRangeKind forms are PowerShell 6.1+; 5.1 rejects them when the function is defined. Give a numeric range: [ValidateRange(1, [int]::MaxValue)].'
                }
                if ($n -match '(?i)^(System\.Management\.Automation\.)?ValidateNotNullOrWhiteSpace(Attribute)?$') {
                    Add-Finding $node.Extent 'ps51-syntax-7-only' '[ValidateNotNullOrWhiteSpace()] is PowerShell 7.4+ (about_Functions_Advanced_Parameters, 7.6); 5.1 cannot find the type. Use [ValidateScript({ -not [string]::IsNullOrWhiteSpace($_) })].'
                }
            }
            { $_ -in 'TypeExpressionAst', 'TypeConstraintAst' } {
                $n = Get-FullTypeName $node.TypeName.FullName
                foreach ($pattern in $CoreOnlyTypes) {
                    if ($n -like $pattern -or $node.TypeName.FullName -like $pattern) {
                        Add-Finding $node.Extent 'ps51-dotnet-core-api' ('[{0}] does not exist in Windows PowerShell 5.1 (.NET Framework 4.x, no PowerShell 6+ types): the script fails with "Unable to find type".' -f $node.TypeName.FullName)
                    }
                }
                foreach ($entry in $AssemblyTypes) {
                    if ($n -like $entry.Pattern) {
                        $loaded = $Raw -match ('(?i)Add-Type\s+(-AssemblyName\s+)?[''"]?' + [regex]::Escape($entry.Assembly) + '\b') -or $Raw -match ('(?i)Assembly\]::Load\w*\([''"]' + [regex]::Escape($entry.Assembly) + '\b')
                        if (-not $loaded) {
                            Add-Finding $node.Extent 'ps51-assembly-not-loaded' ('[{0}] lives in {1}.dll, which Windows PowerShell 5.1 does not load at startup ("Unable to find type"); pwsh loads it. Add-Type -AssemblyName {1} before using it.' -f $node.TypeName.FullName, $entry.Assembly)
                        }
                    }
                }
            }
            'VariableExpressionAst' {
                $v = (Get-VariableName $node)
                if ($SevenOnlyVariables.ContainsKey($v) -and ($node.VariablePath.IsUnscopedVariable -or $node.VariablePath.IsGlobal -or $node.VariablePath.IsScript)) {
                    # Only automatic/preference variables: a script may define its own $IsLinux, but
                    # then it assigns it, which this does not look for; the table is short enough.
                    Add-Finding $node.Extent 'ps51-7-only-variable' ('${0} is not defined in Windows PowerShell 5.1 (it reads as $null, silently): {1}.' -f $v, $SevenOnlyVariables[$v])
                }
            }
            'CommandAst' {
                Invoke-CommandRules -Command $node -Assignments $assignments -FileDefaultStop $fileDefaultStop -NativeVariables $nativeVariables
            }
            'FileRedirectionAst' {
                $loc = $node.Location
                $isNull = $loc -is [System.Management.Automation.Language.VariableExpressionAst] -and $loc.VariablePath.UserPath -eq 'null'
                if (-not $isNull) {
                    Add-Finding $node.Extent 'ps51-default-encoding' ('redirection {0} to a file writes UTF-16LE in Windows PowerShell 5.1 (it is Out-File; a native command''s output is decoded and re-encoded too), which Go programs and most tools cannot read. Capture the output and write it with [IO.File]::WriteAllText($path, $text, (New-Object Text.UTF8Encoding -ArgumentList $false)), or Set-Content -Encoding ASCII.' -f $node.Extent.Text) ($node.Parent.Extent.Text)
                }
            }
        }
    }
}

function Invoke-CommandRules {
    param($Command, $Assignments, [bool]$FileDefaultStop, $NativeVariables)

    # --- native command with stderr redirected under Stop --------------------------------------
    $native = Get-NativeName $Command $NativeVariables
    if ($null -ne $native) {
        $stderr = @($Command.Redirections | Where-Object { $_.FromStream.ToString() -in 'Error', 'All' })
        if ($stderr.Count -gt 0 -and (Test-UnderStop -Ast $Command -Assignments $Assignments -FileDefaultStop $FileDefaultStop)) {
            Add-Finding $Command.Extent 'ps51-native-stderr-redirect' ('native command {0} with stderr redirected ({1}) while $ErrorActionPreference is Stop: Windows PowerShell 5.1 turns its first stderr line into a terminating NativeCommandError, even with 2>$null (PowerShell/PowerShell#3996, #4002); pwsh 7.2+ does not, so the tests pass. Run it where $ErrorActionPreference = ''Continue'' is set in the enclosing function (Invoke-NativeCommand in 10-lib.ps1) and judge it by $LASTEXITCODE, or use Start-Process -RedirectStandardError.' -f $native, (($stderr | ForEach-Object { $_.Extent.Text }) -join ' '))
        }
    }

    $name = Get-ResolvedCommandName $Command
    $bare = $Command.GetCommandName()
    if (-not $name) {
        return
    }

    # --- bare names that are cmdlets in 5.1 ------------------------------------------------------
    if ($bare -and $Command.InvocationOperator -eq 'Unknown' -and $AliasShadowsNative.ContainsKey($bare.ToLowerInvariant())) {
        Add-Finding $Command.Extent 'ps51-alias-not-native' ('{0} is an alias of {1} in Windows PowerShell 5.1 (reference/5.1 cmdlet pages), not the Windows program: write {2}.' -f $bare, $Aliases[$bare.ToLowerInvariant()], $AliasShadowsNative[$bare.ToLowerInvariant()])
    }

    # --- 7-only cmdlets and parameters -----------------------------------------------------------
    if ($SevenOnlyCmdlets -contains $name) {
        Add-Finding $Command.Extent 'ps51-syntax-7-only' ('{0} is a PowerShell 6/7 cmdlet (reference/7.6 has it, reference/5.1 does not); Windows PowerShell 5.1 fails with CommandNotFoundException.' -f $name)
    }
    $switches = @('UseBasicParsing', 'Force', 'Append', 'NoNewline', 'Raw', 'PassThru', 'NoTypeInformation', 'Resolve', 'AsHashtable', 'Compress', 'NoClobber', 'Wait', 'NoNewWindow', 'Parallel')
    $arguments = Get-CommandArguments -Command $Command -Switches $switches
    if ($SevenOnlyParameters.ContainsKey($name)) {
        foreach ($p in $arguments.Params) {
            if ($SevenOnlyParameters[$name] -contains $p.Name) {
                Add-Finding $p.Ast.Extent 'ps51-syntax-7-only' ('{0} -{1} is PowerShell 6/7 only (reference/7.6 {0} has it, reference/5.1 does not); Windows PowerShell 5.1 fails with "A parameter cannot be found that matches parameter name".' -f $name, $p.Name) $Command.Extent.Text
            }
        }
    }
    if ($name -eq 'Join-Path' -and -not $arguments.Splatted) {
        $named = @($arguments.Params | Where-Object { $_.Name -in 'Path', 'ChildPath' }).Count
        if ($arguments.Positional.Count + $named -gt 2) {
            Add-Finding $Command.Extent 'ps51-syntax-7-only' 'Join-Path with more than one child path binds -AdditionalChildPath, which is PowerShell 6.0+; Windows PowerShell 5.1 fails. Nest the calls: Join-Path (Join-Path $a $b) $c.'
        }
    }

    # --- -Encoding values and defaults -----------------------------------------------------------
    $enc = Find-Param $arguments 'Encoding' 3
    $encValue = $null
    if ($null -ne $enc -and $null -ne $enc.Value) {
        $encValue = Get-ConstantValue $enc.Value
    }
    if ($EncodingCmdlets -contains $name -and $null -ne $encValue -and -not ($Ps51EncodingValues -contains $encValue)) {
        Add-Finding $enc.Ast.Extent 'ps51-syntax-7-only' ('-Encoding {0} is PowerShell 6/7 only; Windows PowerShell 5.1 accepts {1}. For UTF-8 without a BOM use [IO.File]::WriteAllText($path, $text, (New-Object Text.UTF8Encoding -ArgumentList $false)).' -f $encValue, ($Ps51EncodingValues -join ', ')) $Command.Extent.Text
    }
    if ($FileWriters.ContainsKey($name)) {
        $writesFile = $true
        if ($name -eq 'Tee-Object') {
            $writesFile = $null -eq (Find-Param $arguments 'Variable' 1)
        }
        if ($writesFile) {
            if ($null -eq $enc) {
                $how = ''
                if ($arguments.Splatted) {
                    $how = ' (a splatted -Encoding cannot be seen here; pass it by name)'
                }
                Add-Finding $Command.Extent 'ps51-default-encoding' ('{0} without -Encoding writes {1} in Windows PowerShell 5.1 (pwsh writes UTF-8), so a Go program or a UTF-8 reader gets different bytes{2}. Use -Encoding ASCII for ASCII text, or [IO.File]::WriteAllText($path, $text, (New-Object Text.UTF8Encoding -ArgumentList $false)) for UTF-8 without a BOM.' -f $name, $FileWriters[$name], $how)
            }
            elseif ($null -ne $encValue -and $encValue -eq 'UTF8') {
                Add-Finding $Command.Extent 'ps51-utf8-bom' ('{0} -Encoding UTF8 writes a byte order mark in Windows PowerShell 5.1 (pwsh does not); Go programs (kubeadm, containerd, flanneld, the CNI plugins) reject or misread it. For them: [IO.File]::WriteAllText($path, $text, (New-Object Text.UTF8Encoding -ArgumentList $false)). For a file only people and PowerShell read, keep it and add "# ps51-gate: allow ps51-utf8-bom (why)" to the line.' -f $name)
            }
            elseif ($null -ne $encValue -and $NonUtf8EncodingValues -contains $encValue) {
                Add-Finding $Command.Extent 'ps51-default-encoding' ('{0} -Encoding {1} writes UTF-16/UTF-32/UTF-7 or a code page, not UTF-8; Go programs cannot read it. Use -Encoding ASCII or [IO.File]::WriteAllText with UTF8Encoding($false).' -f $name, $encValue)
            }
        }
    }

    # --- Invoke-WebRequest needs -UseBasicParsing ------------------------------------------------
    # 5.1 parses every response with the Internet Explorer engine unless told not to, and fails
    # on Server Core or for SYSTEM, where IE's first run never happened: "The response content
    # cannot be parsed because the Internet Explorer engine is not available" (raised from
    # InvokeWebRequestCommand.ProcessResponse, see microsoft/CSS-Exchange#559,
    # microsoft/Windows-Containers#344). 6.0+ always parses basically (reference/7.6
    # Invoke-WebRequest, -UseBasicParsing). Invoke-RestMethod builds no HTML DOM, so it is not
    # required there (it does not hurt either).
    if ($name -eq 'Invoke-WebRequest' -and $null -eq (Find-Param $arguments 'UseBasicParsing' 4)) {
        Add-Finding $Command.Extent 'ps51-webrequest-basic-parsing' 'Invoke-WebRequest without -UseBasicParsing uses the Internet Explorer engine in Windows PowerShell 5.1 and fails on Server Core and under SYSTEM ("the Internet Explorer engine is not available"). Add -UseBasicParsing (pwsh ignores it).'
    }
}

# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------
# pwsh -File hands 'a','b' over as one string: accept comma-separated patterns too.
$Fragment = @($Fragment | ForEach-Object { $_ -split ',' } | Where-Object { $_ })

$paths = New-Object System.Collections.Generic.List[string]
foreach ($p in $Path) {
    if ($p) {
        $paths.Add($p)
    }
}
if ($ListFile) {
    foreach ($l in [IO.File]::ReadAllLines($ListFile)) {
        if ($l.Trim()) {
            $paths.Add($l.Trim())
        }
    }
}
if ($paths.Count -eq 0) {
    throw 'no scripts given: pass paths, or -ListFile with one path per line'
}

$files = @()
foreach ($p in $paths) {
    $full = [IO.Path]::GetFullPath($p)
    $script:file = $p
    $bytes = [IO.File]::ReadAllBytes($full)
    $hasBom = $bytes.Length -ge 3 -and $bytes[0] -eq 0xEF -and $bytes[1] -eq 0xBB -and $bytes[2] -eq 0xBF
    $raw = [Text.Encoding]::UTF8.GetString($bytes)
    if ($hasBom) {
        $raw = [string][char]0xFEFF + $raw.TrimStart([char]0xFEFF)
    }
    $script:lines = @($raw.TrimStart([char]0xFEFF) -split '\r?\n')
    $tokens = $null
    $errors = $null
    $ast = [System.Management.Automation.Language.Parser]::ParseInput($raw.TrimStart([char]0xFEFF), $full, [ref]$tokens, [ref]$errors)
    foreach ($e in @($errors)) {
        Add-Finding $e.Extent 'ps51-parse-error' ('the script does not parse ({0}): {1}' -f $e.ErrorId, $e.Message)
    }
    $isFragment = @($Fragment | Where-Object { $p -like $_ -or $full -like $_ }).Count -gt 0
    Invoke-Rules -Root $ast -IsFragment $isFragment -Raw $raw
    $files += $p
}

$found = [object[]]$script:findings.ToArray()
[ordered]@{ files = $files; findings = $found } | ConvertTo-Json -Depth 5 -Compress
