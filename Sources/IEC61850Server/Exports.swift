// The services' public types (ServerEvent, ControlAction, LogStorage…) were the server's before they had a
// module of their own: `import IEC61850Server` keeps bringing them.
@_exported import IEC61850Services
