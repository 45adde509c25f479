// i18n.js: English and Chinese text, chosen from the browser's language (navigator.languages).

const en = {
  title: 'stillpay wallet',
  online: 'Online', offline: 'Offline',
  loginHeading: 'Log in',
  userID: 'User id', password: 'Password', logIn: 'Log in', logOut: 'Log out',
  loggedInAs: 'Logged in as {0}', notLoggedIn: 'Not logged in',
  badCredentials: 'Wrong user id or password.',
  locked: 'Too many failed logins: try again later.',
  offlineLogin: 'You are offline. Logging in needs the network; payment codes you authorized earlier still work.',
  noAuth: 'No payment codes on this phone yet. Log in and authorize offline codes.',
  sessionExpired: 'Your session has ended: log in again.',
  authHeading: 'Offline payment codes',
  codesLeft: '{0} of {1} codes left', capPer: 'Up to {0} a payment', expiresAt: 'Valid until {0}',
  holdTaken: 'Held on your account: {0}',
  expired: 'These codes expired on {0}. Authorize new ones.',
  expiredTitle: 'Codes expired', authorizeAgain: 'Authorize new codes',
  needsNetwork: 'You are offline: authorizing new codes needs the network.',
  allUsed: 'All codes used. Authorize new ones.',
  showCode: 'Show payment code', revoke: 'Revoke these codes',
  revoked: 'Revoked. The unused hold is released after the settlement grace period.',
  authorizeHeading: 'Authorize offline codes',
  account: 'Account', balance: 'Balance: {0}', cap: 'Most per payment', codes: 'Number of codes', hours: 'Valid for (hours)',
  holdWillBe: 'This holds {0} on the account until the codes are used, expire or are revoked.',
  authorize: 'Authorize',
  noAccounts: 'No account found for this user.',
  insufficientFunds: 'The balance does not cover the hold. Choose a smaller cap or fewer codes.',
  limitsNotAllowed: 'The server does not allow these limits.',
  badAmount: 'Enter an amount like 20.00.',
  serverError: 'The server refused: {0}',
  networkError: 'Cannot reach the server. Check your connection.',
  codeHeading: 'Pay with this code',
  brightness: 'Turn your screen brightness up and hold the code to the scanner.',
  nextStep: 'New time step in {0} s', validUntil: 'Valid until {0}',
  codeNumber: 'Code {0} of {1}', credentialExpires: 'Codes valid until {0}',
  codeExpired: 'This code has expired. Show a new one.',
  newCode: 'New code', done: 'Done',
  storageError: 'This browser cannot keep the wallet\'s keys (storage blocked or full).',
  installHint: 'Add this app to your home screen: it opens without a network.',
};

const zh = {
  title: 'stillpay 钱包',
  online: '在线', offline: '离线',
  loginHeading: '登录',
  userID: '用户名', password: '密码', logIn: '登录', logOut: '退出登录',
  loggedInAs: '已登录：{0}', notLoggedIn: '未登录',
  badCredentials: '用户名或密码错误。',
  locked: '登录失败次数过多，请稍后再试。',
  offlineLogin: '当前离线。登录需要网络；之前授权的付款码仍可使用。',
  noAuth: '此手机上还没有付款码。请登录并授权离线付款码。',
  sessionExpired: '会话已结束，请重新登录。',
  authHeading: '离线付款码',
  codesLeft: '剩余 {0} / {1} 个码', capPer: '每笔最多 {0}', expiresAt: '有效期至 {0}',
  holdTaken: '账户冻结金额：{0}',
  expired: '这些付款码已于 {0} 过期。请重新授权。',
  expiredTitle: '付款码已过期', authorizeAgain: '授权新的付款码',
  needsNetwork: '当前离线：授权新的付款码需要网络。',
  allUsed: '付款码已全部用完。请重新授权。',
  showCode: '出示付款码', revoke: '撤销这些付款码',
  revoked: '已撤销。未使用的冻结金额在结算宽限期后释放。',
  authorizeHeading: '授权离线付款码',
  account: '账户', balance: '余额：{0}', cap: '每笔上限', codes: '付款码数量', hours: '有效时长（小时）',
  holdWillBe: '将在账户上冻结 {0}，直到付款码用完、过期或被撤销。',
  authorize: '授权',
  noAccounts: '没有找到此用户的账户。',
  insufficientFunds: '余额不足以冻结。请降低上限或减少数量。',
  limitsNotAllowed: '服务器不允许这些限额。',
  badAmount: '请输入金额，例如 20.00。',
  serverError: '服务器拒绝：{0}',
  networkError: '无法连接服务器，请检查网络。',
  codeHeading: '用此码付款',
  brightness: '请调高屏幕亮度，并将付款码对准扫码器。',
  nextStep: '{0} 秒后进入新的时间段', validUntil: '有效至 {0}',
  codeNumber: '第 {0} 个码，共 {1} 个', credentialExpires: '付款码有效期至 {0}',
  codeExpired: '此码已过期，请出示新码。',
  newCode: '新码', done: '完成',
  storageError: '此浏览器无法保存钱包密钥（存储被阻止或已满）。',
  installHint: '将此应用添加到主屏幕：无网络也能打开。',
};

function pick() {
  for (const l of navigator.languages || [navigator.language || 'en']) {
    if (/^zh\b/i.test(l)) return ['zh', zh];
    if (/^en\b/i.test(l)) return ['en', en];
  }
  return ['en', en];
}

export const [lang, strings] = pick();

/** t returns the text for key with {0}, {1}, ... filled in. */
export function t(key, ...args) {
  const s = strings[key] ?? en[key] ?? key;
  return s.replace(/\{(\d)\}/g, (_, i) => String(args[Number(i)]));
}

/** applyStatic fills every element with a data-t attribute (its key) and sets the page language. */
export function applyStatic(root) {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.title = t('title');
  for (const el of root.querySelectorAll('[data-t]')) el.textContent = t(el.dataset.t);
}
