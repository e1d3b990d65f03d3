# A template fragment: the header that sets Stop comes first in the assembled script.
function Add-Route {
    route.exe add 10.0.0.0 mask 255.0.0.0 10.0.0.1 2>&1 # expect: ps51-native-stderr-redirect
}
