
# ---------------------------------------------------------------------------------------------
# No proxy: the same functions as 15-proxy.ps1, with nothing to add.
# ---------------------------------------------------------------------------------------------
function Get-WebProxyArguments {
    param([string]$Uri)
    return @{}
}

function Get-ProxyEnvironment {
    return , @()
}

function Set-ServiceEnvironment {
    param([string]$Service)
}
