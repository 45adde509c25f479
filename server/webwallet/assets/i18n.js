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

// Flows 2 and 3 (pay.js, offers.js).
Object.assign(en, {
  payShop: 'Pay a shop\'s QR', scanCamera: 'Scan with the camera', scanStop: 'Stop the camera',
  pasteCode: 'Or paste the code\'s text', readCode: 'Read the code', noCamera: 'No camera available ({0}). Paste the code\'s text instead.',
  notStillpay: 'Not a stillpay order: this wallet does not pay it.',
  notStillpayWho: '{0}, {1}: {2} (another payment scheme)', payerEnters: 'amount entered by the payer',
  orderSignature: 'This order\'s signature does not match: it was changed or forged. Do not pay it.',
  orderUnknownKey: 'This order is signed by a server key this wallet does not trust.',
  orderExpired: 'This order has expired. Ask the shop for a new one.',
  orderAlreadyPaid: 'This order is already paid.', orderCancelled: 'The shop cancelled this order.',
  orderMalformed: 'This is not a readable order ({0}).', orderBadResponse: 'The server\'s answer was not accepted ({0}).',
  stickerAmount: 'Amount: you enter it', stickerEnter: 'Amount to pay',
  orderReference: 'Reference {0}', orderExpires: 'Expires {0}', orderLane: 'Order {0}, lane {1}, server key {2}',
  payNow: 'Pay', paidHeading: 'Paid', paidWhat: 'Paid {0} to {1}', paidApproval: 'Approval code {0}', paidOrder: 'Order {0}',
  back: 'Back',
  offersHeading: 'Offers', offersOn: 'Receive offers from shops',
  offersOffNote: 'Off unless you turn it on. Shops never learn who you are.',
  offersRefresh: 'Check for new offers', noOffers: 'No offers.', newOffers: '{0} new offer(s).', noNewOffers: 'No new offers.',
  offerPercent: '{0}% off', offerFixed: '{0} off', offerMin: '(spend at least {0})', offerFrom: 'From {0}, valid until {1}',
  offerUnverified: '(signature not checked)', payWithOffer: 'Pay with this offer', optOutMerchant: 'No more offers from this shop',
  optInAgain: 'Offers from {0} again', offerExpired: 'This offer is not valid now.', codeWithOffer: 'With offer: {0}',
});
Object.assign(zh, {
  payShop: '扫商家二维码付款', scanCamera: '用相机扫码', scanStop: '关闭相机',
  pasteCode: '或粘贴二维码文本', readCode: '读取', noCamera: '没有可用的相机（{0}）。请粘贴二维码文本。',
  notStillpay: '不是 stillpay 订单：本钱包不支付。',
  notStillpayWho: '{0}，{1}：{2}（其他支付方式）', payerEnters: '金额由付款人输入',
  orderSignature: '订单签名不符：内容已被修改或伪造。请勿支付。',
  orderUnknownKey: '此订单由本钱包不信任的服务器密钥签名。',
  orderExpired: '订单已过期。请商家重新生成。',
  orderAlreadyPaid: '此订单已支付。', orderCancelled: '商家已取消此订单。',
  orderMalformed: '无法读取的订单（{0}）。', orderBadResponse: '服务器的回复未被接受（{0}）。',
  stickerAmount: '金额：由您输入', stickerEnter: '付款金额',
  orderReference: '参考号 {0}', orderExpires: '{0} 过期', orderLane: '订单 {0}，收银台 {1}，服务器密钥 {2}',
  payNow: '付款', paidHeading: '已支付', paidWhat: '已向 {1} 支付 {0}', paidApproval: '授权码 {0}', paidOrder: '订单 {0}',
  back: '返回',
  offersHeading: '优惠', offersOn: '接收商家优惠',
  offersOffNote: '默认关闭。商家不会知道您是谁。',
  offersRefresh: '查看新优惠', noOffers: '没有优惠。', newOffers: '{0} 条新优惠。', noNewOffers: '没有新优惠。',
  offerPercent: '{0}% 折扣', offerFixed: '减 {0}', offerMin: '（满 {0}）', offerFrom: '来自 {0}，有效期至 {1}',
  offerUnverified: '（签名未验证）', payWithOffer: '使用此优惠付款', optOutMerchant: '不再接收此商家的优惠',
  optInAgain: '重新接收 {0} 的优惠', offerExpired: '此优惠当前无效。', codeWithOffer: '使用优惠：{0}',
});
// Web Push (push.js).
Object.assign(en, {
  pushOn: 'Notify me of new offers', pushOnDone: 'This browser will notify you of new offers.',
  pushOffDone: 'No more notifications on this browser.',
  pushDenied: 'Notifications are blocked for this site: allow them in the browser\'s settings.',
  pushFailed: 'This browser could not subscribe to notifications (it needs its push service online).',
});
Object.assign(zh, {
  pushOn: '有新优惠时通知我', pushOnDone: '此浏览器将通知您新优惠。', pushOffDone: '此浏览器不再通知。',
  pushDenied: '此网站的通知已被阻止：请在浏览器设置中允许。',
  pushFailed: '此浏览器无法订阅通知（需要其推送服务在线）。',
});

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
